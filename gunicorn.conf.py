"""gunicorn settings; every one says why.

Run: gunicorn --config gunicorn.conf.py 'service:create_app()'
"""

import datetime as dt
import gc
import os
import subprocess
import sys
import threading
import time

# PORT is what `make run` and the Dockerfile pass; 8000 is the documented default.
bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"

# Scoring is CPU-bound and a worker holds one model (~100 MB): one worker per core.
workers = int(os.environ.get("WEB_CONCURRENCY", os.cpu_count() or 2))

# Sync workers: requests are short CPU work, no long polling.
worker_class = "sync"

# A batch of 1,000 ordinary comments scores in under half a second. The slowest batch we could
# build inside MODERATION_MAX_BATCH_CHARS took 9 to 23 s (docs/benchmarks.md), and a batch still
# scoring after MODERATION_BATCH_SECONDS (20) gets 413, so 30 s only catches a stuck worker.
timeout = 30
graceful_timeout = 30

# Load the app in each worker, not the master: each worker then opens its own database
# connections and can reload a promoted model on its own without a master restart.
preload_app = False

# Recycle workers now and then so slow leaks cannot grow; jitter keeps them from restarting
# together.
max_requests = 20_000
max_requests_jitter = 2_000

# Logs to stdout/stderr: the container or the process manager collects them.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")

# gunicorn 27 opens a control socket for `gunicornc` under $HOME/.gunicorn by default. Nothing
# here uses it; in the container $HOME (/app) is not writable, so every start logged an error,
# and two servers run by one user (tests, a second port) would share one socket path.
control_socket_disable = True


def post_worker_init(worker):
    """Leave what the app factory loaded out of the cyclic garbage collector's full passes.

    The imported libraries, the model and the keyword lists are about 142,000 tracked objects a
    full collection scans for nothing, since they live as long as the worker: the longest full
    collection over 15,000 comments, held by whichever request it lands in, 147 ms unfrozen and
    53 ms frozen (python -m benchmarks.gc_pauses; docs/benchmarks.md)."""
    gc.freeze()


# --- Daily maintenance -----------------------------------------------------------------------
# What docs/operations.md asks to run daily, run by the master so that a deployment (the image
# above all, which has no cron) needs nothing more: erase what the database engine keeps of
# withdrawn comments, and drop webhook events delivered a month ago. Each is a `flask` command in a
# child process, so the master never opens the database or loads a model.
MAINTENANCE_COMMANDS = (("db", "purge"), ("outbox", "purge", "--days", "30"))
MAINTENANCE_RETRY_SECONDS = 600  # a purge a long read held up is tried again ten minutes later
MAINTENANCE_TIMEOUT_SECONDS = 1800
MAINTENANCE_OFF = ("", "off")


def parse_daily_time(value: str) -> dt.time | None:
    """Read MODERATION_MAINTENANCE_AT: ``HH:MM`` (or ``HH:MM:SS``) in UTC, or ``off``.

    :raise ValueError: naming the variable and what it takes; gunicorn then does not start.
    """
    value = value.strip()
    if value.lower() in MAINTENANCE_OFF:
        return None
    try:
        parts = [int(part) for part in value.split(":")]
        if len(parts) not in (2, 3) or not all(1 <= len(part) <= 2 for part in value.split(":")):
            raise ValueError
        return dt.time(*parts)
    except ValueError:
        raise ValueError(f"MODERATION_MAINTENANCE_AT={value!r}: expected a UTC time of day "
                         "as HH:MM (e.g. 03:15), or off") from None


def seconds_until(now: dt.datetime, at: dt.time) -> float:
    """Seconds from ``now`` (UTC) to the next ``at``: later today, or tomorrow."""
    target = dt.datetime.combine(now.date(), at, tzinfo=dt.UTC)
    if target <= now:
        target += dt.timedelta(days=1)
    return (target - now).total_seconds()


def run_maintenance(log, commands=MAINTENANCE_COMMANDS) -> list[tuple[str, ...]]:
    """Run each command once; log what it printed; return the commands that failed."""
    failed = []
    for command in commands:
        name = "flask --app service " + " ".join(command)
        try:
            done = subprocess.run([sys.executable, "-m", "flask", "--app", "service", *command],
                                  capture_output=True, text=True,
                                  timeout=MAINTENANCE_TIMEOUT_SECONDS, check=False)
        except (OSError, subprocess.TimeoutExpired) as error:
            log.error("maintenance: %s: %s", name, error)
            failed.append(command)
            continue
        output = " / ".join(line for line in (done.stdout + done.stderr).splitlines() if line)
        if done.returncode == 0:
            log.info("maintenance: %s: %s", name, output or "done")
        else:
            log.error("maintenance: %s exited %d: %s", name, done.returncode, output)
            failed.append(command)
    return failed


def _daily_maintenance(at: dt.time, log) -> None:
    while True:
        time.sleep(seconds_until(dt.datetime.now(dt.UTC), at))
        failed = run_maintenance(log)
        if failed:
            time.sleep(MAINTENANCE_RETRY_SECONDS)
            run_maintenance(log, failed)


try:
    maintenance_at = parse_daily_time(os.environ.get("MODERATION_MAINTENANCE_AT", "03:15"))
except ValueError as error:
    sys.exit(f"error: {error}")  # one line, not a traceback, and gunicorn does not start


def when_ready(server):
    """Start the daily maintenance in the master, unless MODERATION_MAINTENANCE_AT is off."""
    if maintenance_at is not None:
        server.log.info("maintenance: daily at %s UTC", maintenance_at.isoformat())
        threading.Thread(target=_daily_maintenance, args=(maintenance_at, server.log),
                         name="maintenance", daemon=True).start()
