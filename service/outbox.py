"""Telling the site: a durable outbox of webhook events and the worker that delivers them.

An event row is written in the same transaction as the status change it announces (see
service/queue.py), so a change is never committed without its event, and an event never exists
for a change that was rolled back. Delivery is at least once: a row is marked delivered only
after the site answered 2xx, and every event carries an ``event_id`` the site uses to ignore a
repeat.

Why a thread in each web process rather than a separate process: ``make run`` stays one command
and nothing extra has to be supervised. Several processes share the work safely because a row
is *leased* (``lease_owner``/``lease_until``, taken with a compare-and-set UPDATE) before it is
sent; a process killed mid-delivery leaves a lease that expires, and another process retries
the row. Events for one comment go out in order: a row waits while an earlier event for the same
comment is undelivered. ``flask --app service outbox run`` runs the same loop in the foreground
for deployments that set MODERATION_OUTBOX_WORKER=false.

The signature follows the issue's contract: ``X-Moderation-Timestamp: <unix seconds>`` and
``X-Moderation-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import os
import random
import socket
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import click
from sqlalchemy import Connection, delete, exists, func, insert, or_, select, update

from service.db import Database, SchemaCommands
from service.storage import outbox, utcnow

EVENT = "comment.status_changed"
EXTENSION_KEY = "moderation_outbox"
USER_AGENT = "comment-moderation-webhook/1"
log = logging.getLogger(__name__)


def enqueue(connection: Connection, comment_pk: int, *, comment_id: str, status: str,
            decided_by: str, rules: Sequence[str], at: dt.datetime) -> str:
    """Queue a ``comment.status_changed`` event in the caller's transaction; return its id."""
    event_id = str(uuid.uuid4())
    body = json.dumps({
        "event": EVENT,
        "event_id": event_id,
        "id": comment_id,
        "status": status,
        "decided_by": decided_by,
        "rules": list(rules),
        "at": at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
    }, ensure_ascii=False, separators=(",", ":"))
    connection.execute(insert(outbox).values(
        event_id=event_id, comment_pk=comment_pk, body=body, created_at=at, attempts=0,
        next_attempt_at=at))
    return event_id


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Return the X-Moderation-Signature value for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def verify(secret: str, timestamp: str, signature: str, body: bytes, *,
           tolerance_seconds: int = 300, now: float | None = None) -> bool:
    """Return True if ``signature`` is ours for ``body`` and ``timestamp`` is recent.

    This is the check a receiving site makes (docs/queue.md shows it); the tolerance refuses an
    old request replayed by someone who captured it.
    """
    # Both headers are whatever anyone sent: only ASCII digits are a timestamp ("²".isdigit()
    # is true, and int() accepts " 1", "+1" and "1_0"), and the signature is compared as bytes
    # because compare_digest raises on a str holding anything but ASCII.
    # A timestamp of hundreds of digits would raise in int() or float(): a 500 on the site, not
    # a refusal. Seconds since 1970 have ten digits until the year 2286.
    if not (isinstance(timestamp, str) and isinstance(signature, str)
            and timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        return False
    age = abs((time.time() if now is None else now) - int(timestamp))
    expected = sign(secret, timestamp, body)
    return age <= tolerance_seconds and hmac.compare_digest(
        expected.encode(), signature.encode("utf-8", "surrogateescape"))


@dataclass(frozen=True)
class Delivery:
    """Where and how events are sent."""

    url: str
    secret: str
    timeout_seconds: float = 10.0
    backoff_seconds: float = 2.0
    backoff_max_seconds: float = 600.0
    lease_seconds: float = 60.0

    @property
    def batch_size(self) -> int:
        # A batch is sent one row after another: the lease must outlast the slowest batch.
        return max(1, min(50, int(self.lease_seconds // (self.timeout_seconds + 1))))

    def backoff(self, attempts: int) -> float:
        """Return the delay before attempt ``attempts + 1``: doubling, capped, with jitter."""
        delay = min(self.backoff_max_seconds, self.backoff_seconds * 2 ** max(0, attempts - 1))
        return delay * random.uniform(0.8, 1.0)


@dataclass(frozen=True)
class Claimed:
    """An event leased to this process for one delivery attempt."""

    id: int
    event_id: str
    body: str
    attempts: int


def claim_due(db: Database, owner: str, *, limit: int, lease_seconds: float,
              now: dt.datetime | None = None) -> list[Claimed]:
    """Lease up to ``limit`` due events to ``owner``; no other process sends them meanwhile."""
    now = now or utcnow()
    earlier = outbox.alias("earlier")
    lease_free = or_(outbox.c.lease_until.is_(None), outbox.c.lease_until < now)
    candidates = (
        select(outbox.c.id, outbox.c.event_id, outbox.c.body, outbox.c.attempts)
        .where(outbox.c.delivered_at.is_(None), outbox.c.next_attempt_at <= now, lease_free,
               ~exists().where(earlier.c.comment_pk == outbox.c.comment_pk,
                               earlier.c.delivered_at.is_(None), earlier.c.id < outbox.c.id))
        .order_by(outbox.c.next_attempt_at, outbox.c.id).limit(limit)
    )
    claimed = []
    with db.transaction() as connection:
        for row in connection.execute(candidates).all():
            # Compare-and-set: only one process's UPDATE matches a free, undelivered row.
            taken = connection.execute(
                update(outbox).where(outbox.c.id == row.id, outbox.c.delivered_at.is_(None),
                                     lease_free)
                .values(lease_owner=owner, lease_until=now + dt.timedelta(seconds=lease_seconds)))
            if taken.rowcount == 1:
                claimed.append(Claimed(row.id, row.event_id, row.body, row.attempts))
    return claimed


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A redirect would turn the POST into a GET without the body: count it as a failure.
    def redirect_request(self, *args, **kwargs):
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def send(delivery: Delivery, event: Claimed) -> tuple[int | None, str | None]:
    """POST one signed event; return (HTTP status or None, error message or None)."""
    body = event.body.encode()
    timestamp = str(int(time.time()))
    request = urllib.request.Request(delivery.url, data=body, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "X-Moderation-Event": EVENT,
        "X-Moderation-Event-Id": event.event_id,
        "X-Moderation-Timestamp": timestamp,
        "X-Moderation-Signature": sign(delivery.secret, timestamp, body),
    })
    try:
        with _OPENER.open(request, timeout=delivery.timeout_seconds) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        error.close()
        return error.code, f"HTTP {error.code}"
    except (OSError, ValueError) as error:  # refused, reset, timed out, unresolvable, bad URL
        return None, f"{type(error).__name__}: {error}"[:500]
    return status, None if 200 <= status < 300 else f"HTTP {status}"


def record_attempt(db: Database, event: Claimed, status: int | None, error: str | None,
                   delivery: Delivery, now: dt.datetime | None = None) -> None:
    """Mark the event delivered, or schedule its next attempt with backoff."""
    now = now or utcnow()
    attempts = event.attempts + 1
    values = {"attempts": attempts, "last_status": status, "last_error": error,
              "lease_owner": None, "lease_until": None}
    if error is None:
        values["delivered_at"] = now
    else:
        values["next_attempt_at"] = now + dt.timedelta(seconds=delivery.backoff(attempts))
    with db.transaction() as connection:
        connection.execute(update(outbox).where(outbox.c.id == event.id).values(**values))


def deliver_due(db: Database, delivery: Delivery, owner: str) -> int:
    """Send every event due now (one leased batch); return how many were attempted."""
    events = claim_due(db, owner, limit=delivery.batch_size, lease_seconds=delivery.lease_seconds)
    for event in events:
        status, error = send(delivery, event)
        if error is not None:
            log.warning("webhook %s failed (attempt %d): %s", event.event_id, event.attempts + 1,
                        error)
        record_attempt(db, event, status, error, delivery)
    return len(events)


def outbox_status(connection: Connection) -> dict[str, object]:
    """Return how many events wait, how many are failing, and the oldest waiting one's age."""
    waiting = outbox.c.delivered_at.is_(None)
    pending, failing, oldest = connection.execute(select(
        func.count().filter(waiting),
        func.count().filter(waiting, outbox.c.attempts > 0),
        func.min(outbox.c.created_at).filter(waiting),
    )).one()
    delivered = connection.execute(select(func.count()).where(outbox.c.delivered_at.is_not(None))
                                   ).scalar_one()
    last_error = connection.execute(
        select(outbox.c.last_error).where(waiting, outbox.c.last_error.is_not(None))
        .order_by(outbox.c.id.desc()).limit(1)).scalar()
    age = None
    if oldest is not None:
        oldest = oldest.replace(tzinfo=dt.UTC) if oldest.tzinfo is None else oldest
        age = round((utcnow() - oldest).total_seconds(), 1)
    return {"pending": pending, "failing": failing, "delivered": delivered,
            "oldest_pending_seconds": age, "last_error": last_error}


def purge_delivered(connection: Connection, older_than: dt.timedelta) -> int:
    """Delete events delivered longer ago than ``older_than``; return how many."""
    cutoff = utcnow() - older_than
    result = connection.execute(delete(outbox).where(outbox.c.delivered_at.is_not(None),
                                                     outbox.c.delivered_at < cutoff))
    return result.rowcount


class OutboxWorker:
    """Delivers due events from a daemon thread in this process.

    ``ensure_running`` is cheap and safe to call often: after a fork (gunicorn with
    ``preload_app``) the child has no thread, and the next call starts one.
    """

    def __init__(self, db: Database, delivery: Delivery, poll_seconds: float = 1.0):
        self.db = db
        self.delivery = delivery
        self.poll_seconds = poll_seconds
        self.owner = f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self._lock = threading.Lock()

    def ensure_running(self) -> None:
        """Start the delivery thread in this process unless it runs already."""
        if self._pid == os.getpid() and self._thread is not None and self._thread.is_alive():
            return
        with self._lock:
            if self._pid == os.getpid() and self._thread is not None and self._thread.is_alive():
                return
            self._pid = os.getpid()
            self.owner = f"{socket.gethostname()[:60]}:{self._pid}:{uuid.uuid4().hex[:8]}"
            self._stop.clear()
            self._thread = threading.Thread(target=self.run_forever, name="outbox-worker",
                                            daemon=True)
            self._thread.start()

    def notify(self) -> None:
        """Wake the thread: an event was just committed."""
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread after its current delivery."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def run_forever(self) -> None:
        """Deliver until stopped; a failing database is logged and retried, never fatal."""
        while not self._stop.is_set():
            try:
                busy = deliver_due(self.db, self.delivery, self.owner) >= self.delivery.batch_size
            except Exception:  # noqa: BLE001 - the loop must outlive a database outage
                log.exception("outbox delivery failed; retrying in %.1fs", self.poll_seconds)
                busy = False
            if not busy:
                self._wake.wait(self.poll_seconds)
                self._wake.clear()


def init_app(app) -> None:
    """Configure webhook delivery and start this process's worker when a URL is set."""
    app.cli.add_command(outbox_cli)
    url = app.config.get("WEBHOOK_URL")
    if not url:
        return
    if not str(url).startswith(("http://", "https://")):
        raise RuntimeError(f"MODERATION_WEBHOOK_URL must be an http(s) address, not {url!r}")
    secret = app.config.get("WEBHOOK_SECRET")
    if not secret:
        raise RuntimeError("MODERATION_WEBHOOK_URL is set but MODERATION_WEBHOOK_SECRET is not: "
                           "events must be signed")
    from service.db import get_db_of

    config = app.config
    delivery = Delivery(
        url=str(url), secret=str(secret),
        timeout_seconds=float(config["WEBHOOK_TIMEOUT_SECONDS"]),
        backoff_seconds=float(config["WEBHOOK_BACKOFF_SECONDS"]),
        backoff_max_seconds=float(config["WEBHOOK_BACKOFF_MAX_SECONDS"]),
        lease_seconds=float(config["OUTBOX_LEASE_SECONDS"]))
    worker = OutboxWorker(get_db_of(app), delivery, float(config["OUTBOX_POLL_SECONDS"]))
    app.extensions[EXTENSION_KEY] = worker
    if config["OUTBOX_WORKER"]:
        # Not inside a CLI command (`flask db upgrade` must not start sending); the web server
        # starts it here, and the hook restarts it in a forked child or under `flask run`.
        if click.get_current_context(silent=True) is None:
            worker.ensure_running()
        app.before_request(worker.ensure_running)


def notify_worker() -> None:
    """Wake this process's worker, if webhooks are configured."""
    from flask import current_app

    worker = current_app.extensions.get(EXTENSION_KEY)
    if worker is not None:
        worker.notify()


def webhooks_enabled() -> bool:
    """Return True when status changes should queue webhook events."""
    from flask import current_app

    return EXTENSION_KEY in current_app.extensions


def _outbox_cli():
    from flask import current_app

    group = SchemaCommands("outbox", help="Webhook delivery: status and a foreground worker.")

    @group.command("status")
    def status_command() -> None:
        """Print how many events wait for delivery, as JSON."""
        from service.db import get_db

        with get_db().reading() as connection:
            click.echo(json.dumps(outbox_status(connection), default=str))

    @group.command("purge")
    @click.option("--days", type=click.IntRange(min=1), default=30, show_default=True,
                  help="Delete delivered events older than this.")
    def purge_command(days: int) -> None:
        """Delete delivered events older than DAYS days (undelivered ones are never deleted)."""
        from service.db import get_db

        with get_db().transaction() as connection:
            removed = purge_delivered(connection, older_than=dt.timedelta(days=days))
        click.echo(f"deleted {removed} delivered events older than {days} days")

    @group.command("run")
    @click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
    def run_command(once: bool) -> None:
        """Deliver events in the foreground until interrupted."""
        worker = current_app.extensions.get(EXTENSION_KEY)
        if worker is None:
            raise click.UsageError("set MODERATION_WEBHOOK_URL and MODERATION_WEBHOOK_SECRET")
        if once:
            while deliver_due(worker.db, worker.delivery, worker.owner):
                pass
            return
        worker.run_forever()

    return group


outbox_cli = _outbox_cli()
