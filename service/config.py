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
    """Refuse, at app creation, a setting that would otherwise be misread in silence or fail
    only when a request needs it, and store each as the type its component reads.

    :raise RuntimeError: naming the MODERATION_ variable and the values it takes.
    """
    config["SQLITE_SYNCHRONOUS"] = sqlite_synchronous(config["SQLITE_SYNCHRONOUS"])
    config["PROXY_COUNT"] = proxy_count(config["PROXY_COUNT"])
    for name in SETTING_TYPES:
        config[name] = _checked(name, config[name])
    if config["SESSION_COOKIE_SAMESITE"] == "None" and not config["SESSION_COOKIE_SECURE"]:
        # Browsers drop a SameSite=None cookie that is not Secure: every login would seem to
        # succeed and land back on the login page.
        raise RuntimeError("MODERATION_SESSION_COOKIE_SAMESITE=None needs "
                           "MODERATION_SESSION_COOKIE_SECURE=true (the pages served over HTTPS)")


def _checked(name: str, value: object):
    """``value`` read as setting ``name``'s type; RuntimeError naming the variable otherwise."""
    read, wanted = SETTING_TYPES[name]
    checked = read(value)
    if checked is None:
        raise RuntimeError(f"MODERATION_{name} must be {wanted}, not {value!r}")
    return checked


def _number(value: object) -> float | None:
    """``value`` as a finite number (a string of one too), or None; true and false are not."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return value


def _whole(minimum: int, maximum: float = math.inf):
    def read(value: object) -> int | None:
        number = _number(value)
        if number is None or number != int(number) or not minimum <= number <= maximum:
            return None
        return int(number)
    return read


def _seconds(zero_allowed: bool):
    def read(value: object) -> float | None:
        number = _number(value)
        if number is None or number < 0 or (number == 0 and not zero_allowed):
            return None
        return float(number)
    return read


# Environment values are JSON when they parse, so "false" is False but "False" stays a string,
# and Python would read that string as true.
_BOOLEANS = {"true": True, "1": True, "yes": True, "on": True,
             "false": False, "0": False, "no": False, "off": False}


def _boolean(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    return _BOOLEANS.get(str(value).strip().lower()) if isinstance(value, str | int) else None


def _same_site(value: object) -> str | None:
    # Flask sends the attribute as written, and browsers drop a cookie whose SameSite they
    # cannot read: the login would fail with no message.
    names = {"lax": "Lax", "strict": "Strict", "none": "None"}
    return names.get(value.strip().lower()) if isinstance(value, str) else None


def _thresholds(value: object) -> dict | None:
    # The rules and levels are named by the policy's own check, when the model loads.
    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        return None
    numbers = [_number(n) for levels in value.values() for n in levels.values()]
    if not all(n is not None and 0 <= n <= 1 for n in numbers):
        return None
    return value


# Every other setting a component reads as a number, a flag or a name: how to read it, and what
# the startup message says it must be.
SETTING_TYPES = {
    "MODEL_RELOAD_SECONDS": (_seconds(zero_allowed=True), "a number of seconds, 0 or more"),
    "THRESHOLDS": (_thresholds, 'a JSON object like {"insult": {"review": 0.4}}, of numbers '
                                'from 0 to 1'),
    "MAX_TEXT_CHARS": (_whole(1), "a whole number of characters, 1 or more"),
    "MAX_BATCH": (_whole(1), "a whole number of comments, 1 or more"),
    "MAX_BATCH_CHARS": (_whole(1), "a whole number of characters, 1 or more"),
    "BATCH_SECONDS": (_seconds(zero_allowed=False), "a number of seconds above 0 (keep it under "
                                                    "gunicorn's 30 s worker timeout)"),
    "MAX_CONTENT_LENGTH": (_whole(1), "a whole number of bytes, 1 or more"),
    "SQLITE_BUSY_TIMEOUT_MS": (_whole(0), "a whole number of milliseconds, 0 or more"),
    "WEBHOOK_TIMEOUT_SECONDS": (_seconds(zero_allowed=False), "a number of seconds above 0"),
    "WEBHOOK_BACKOFF_SECONDS": (_seconds(zero_allowed=False), "a number of seconds above 0"),
    "WEBHOOK_BACKOFF_MAX_SECONDS": (_seconds(zero_allowed=False), "a number of seconds above 0"),
    "OUTBOX_WORKER": (_boolean, "true or false"),
    "OUTBOX_POLL_SECONDS": (_seconds(zero_allowed=False), "a number of seconds above 0"),
    "OUTBOX_LEASE_SECONDS": (_seconds(zero_allowed=False), "a number of seconds above 0"),
    "LISTS_REFRESH_SECONDS": (_seconds(zero_allowed=True), "a number of seconds, 0 or more"),
    "QUEUE_PAGE_SIZE": (_whole(1, 200), "a whole number from 1 to 200"),
    "MAX_BULK": (_whole(1), "a whole number of comments, 1 or more"),
    "SESSION_COOKIE_SAMESITE": (_same_site, "Lax, Strict or None"),
    "SESSION_COOKIE_SECURE": (_boolean, "true or false"),
    "SESSION_LIFETIME_HOURS": (_seconds(zero_allowed=False), "a number of hours above 0"),
}


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
    return _checked("BATCH_SECONDS", value)
