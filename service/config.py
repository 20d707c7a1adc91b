"""Configuration defaults. Every setting can be overridden by an environment variable with the
``MODERATION_`` prefix (``MODERATION_MAX_TEXT_CHARS=8000``); values are parsed as JSON when they
can be, so numbers and objects work. The table of settings is in docs/configuration.md."""

import math
import re
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

DEFAULTS: dict[str, object] = {
    # The model directory, or a registry folder holding a `current` pointer.
    "MODEL_DIR": str(PROJECT_ROOT / "models"),
    # How often (seconds) each process checks the registry's `current` pointer; 0 turns it off.
    "MODEL_RELOAD_SECONDS": 2.0,
    "KEYWORD_DIR": str(Path(__file__).resolve().parent / "keywords"),
    # Per-rule overrides of the thresholds stored with the model, e.g.
    # {"insult": {"review": 0.4, "reject": 0.95}}.
    "THRESHOLDS": {},
    "MAX_TEXT_CHARS": 5000,
    "MAX_BATCH": 1000,
    "MAX_BATCH_CHARS": 1_000_000,
    # A batch still unscored after this many seconds gets 413 instead of running into gunicorn's
    # 30 s worker timeout, which would kill the worker and answer nothing.
    "BATCH_SECONDS": 20,
    # Flask refuses larger bodies with 413 before any parsing happens.
    "MAX_CONTENT_LENGTH": 8 * 1024 * 1024,
    # Moderation queue (docs/queue.md). Unset DATABASE_URL means a SQLite file in the instance
    # folder; unset SECRET_KEY means one generated once into instance/secret_key.
    "DATABASE_URL": None,
    "SQLITE_BUSY_TIMEOUT_MS": 15_000,
    "SQLITE_SYNCHRONOUS": "FULL",
    "SECRET_KEY": None,
    "API_KEYS": [],
    "WEBHOOK_URL": None,
    "WEBHOOK_SECRET": None,
    "WEBHOOK_TIMEOUT_SECONDS": 10,
    "WEBHOOK_BACKOFF_SECONDS": 2,
    "WEBHOOK_BACKOFF_MAX_SECONDS": 600,
    "OUTBOX_WORKER": True,
    "OUTBOX_POLL_SECONDS": 1.0,
    "OUTBOX_LEASE_SECONDS": 60,
    "LISTS_REFRESH_SECONDS": 2.0,
    "QUEUE_PAGE_SIZE": 50,
    "MAX_BULK": 500,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,
    "SESSION_LIFETIME_HOURS": 12,
    # How many reverse proxies (nginx, a load balancer) stand in front of the service and append
    # to X-Forwarded-For / set X-Forwarded-Proto. 0 trusts neither header: the client address is
    # the connection's, which behind a proxy is the proxy's for every request.
    "PROXY_COUNT": 0,
}

# SQLite's own names and numbers for its `synchronous` levels. SQLite reads any other word as
# NORMAL without a word, which would quietly give up the durability FULL is chosen for.
SQLITE_SYNCHRONOUS_LEVELS = {"OFF": "OFF", "NORMAL": "NORMAL", "FULL": "FULL", "EXTRA": "EXTRA",
                             "0": "OFF", "1": "NORMAL", "2": "FULL", "3": "EXTRA"}


def check_config(config: dict) -> None:
    """Refuse, at app creation, a setting that would otherwise be misread in silence.

    :raise RuntimeError: naming the MODERATION_ variable and the values it takes.
    """
    config["SQLITE_SYNCHRONOUS"] = sqlite_synchronous(config["SQLITE_SYNCHRONOUS"])
    config["PROXY_COUNT"] = proxy_count(config["PROXY_COUNT"])
    config["BATCH_SECONDS"] = batch_seconds(config["BATCH_SECONDS"])


def sqlite_synchronous(value: object) -> str:
    """Return the SQLite `synchronous` level ``value`` names (any case, or 0-3)."""
    level = SQLITE_SYNCHRONOUS_LEVELS.get(str(value).strip().upper())
    if level is None:
        raise RuntimeError(f"MODERATION_SQLITE_SYNCHRONOUS must be OFF, NORMAL, FULL or EXTRA "
                           f"(or 0-3), not {value!r}")
    return level


def proxy_count(value: object) -> int:
    """Return the number of trusted reverse proxies ``value`` names: a whole number, 0 or more."""
    # bool is an int to Python, and JSON reads MODERATION_PROXY_COUNT=true as one: refuse it
    # rather than trust a proxy nobody counted.
    if isinstance(value, str) and re.fullmatch(r"[0-9]+", value.strip()):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RuntimeError(f"MODERATION_PROXY_COUNT must be a whole number, 0 or more: how many "
                           f"reverse proxies stand in front of the service (0 trusts no "
                           f"X-Forwarded-For), not {value!r}")
    return value


def batch_seconds(value: object) -> float:
    """Return the time a batch may take, in seconds: a number above 0."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            pass
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < math.inf:
        raise RuntimeError(f"MODERATION_BATCH_SECONDS must be a number of seconds above 0 (keep "
                           f"it under gunicorn's 30 s worker timeout), not {value!r}")
    return float(value)
