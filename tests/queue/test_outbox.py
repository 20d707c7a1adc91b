"""Webhooks: durable outbox rows, signed deliveries to a real local HTTP receiver, retries with
backoff, leases that keep two processes from sending the same event, order per comment."""

import datetime as dt
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import func, select

from service import create_app, outbox
from service.db import get_db_of
from service.outbox import Delivery, claim_due, deliver_due, sign, verify
from service.queue import Actor, apply_decision
from service.queue_input import DecisionRequest
from service.storage import comments
from service.storage import outbox as outbox_table
from tests.queue.conftest import SUSPECT, QueueApi, both_backends
from tests.queue.helpers import WebhookReceiver
from tests.servers import free_port, wait_until

SECRET = "webhook-secret-for-tests"


@pytest.fixture
def receiver():
    receiver = WebhookReceiver(SECRET).start()
    yield receiver
    receiver.stop()


@pytest.fixture
def queue_config(queue_config, receiver):
    # Deliveries happen when a test calls deliver_due, except where a test starts the worker.
    return {**queue_config, "WEBHOOK_URL": receiver.url, "WEBHOOK_SECRET": SECRET,
            "OUTBOX_WORKER": False, "WEBHOOK_BACKOFF_SECONDS": 0.2,
            "WEBHOOK_BACKOFF_MAX_SECONDS": 1.0, "WEBHOOK_TIMEOUT_SECONDS": 2}


def worker_of(app) -> outbox.OutboxWorker:
    return app.extensions[outbox.EXTENSION_KEY]


def rows(app):
    with get_db_of(app).reading() as connection:
        return connection.execute(select(outbox_table).order_by(outbox_table.c.id)).all()


def deliver(app) -> int:
    worker = worker_of(app)
    return deliver_due(worker.db, worker.delivery, worker.owner)


@both_backends
def test_status_change_sends_one_signed_event(queue_app, site, moderator, receiver):
    site.submit("c-1", SUSPECT)
    assert rows(queue_app) == []  # arrival is answered in the POST response, not by webhook
    moderator.decide("c-1", "reject", rules=["insult"])
    [row] = rows(queue_app)
    assert deliver(queue_app) == 1
    [delivery] = receiver.deliveries
    assert delivery.valid
    event = delivery.event
    assert event == {"event": "comment.status_changed", "event_id": row.event_id, "id": "c-1",
                     "status": "rejected", "decided_by": "mona", "rules": ["insult"],
                     "at": event["at"]}
    assert dt.datetime.fromisoformat(event["at"]).tzinfo is not None
    headers = delivery.headers
    assert headers["X-Moderation-Event-Id"] == row.event_id
    assert headers["X-Moderation-Signature"] == sign(
        SECRET, headers["X-Moderation-Timestamp"], delivery.body)
    assert abs(int(headers["X-Moderation-Timestamp"]) - time.time()) < 60
    assert headers["Content-Type"].startswith("application/json")
    [row] = rows(queue_app)
    assert row.delivered_at is not None and row.attempts == 1 and row.lease_owner is None
    assert deliver(queue_app) == 0  # delivered events are not sent again


def test_no_status_change_no_event(queue_app, site, moderator):
    site.submit("c-1", "سير تقود يا حمار")  # rejected by the system
    moderator.decide("c-1", "reject", rules=["insult"])  # confirmed: the site's status is unchanged
    assert rows(queue_app) == []


@both_backends
def test_a_withdrawal_sends_no_event_and_one_queued_before_holds_no_text(queue_app, site,
                                                                         moderator, receiver):
    site.submit("c-1", SUSPECT, author_id="u-7", author_name="Samir")
    moderator.decide("c-1", "reject", rules=["insult"], note="مكلخ")  # queued, not yet sent
    assert site.delete("/v1/comments/c-1")[0] == 204
    [row] = rows(queue_app)  # the site asked for no event about its own deletion
    # The event names the comment and the decision, never what the reader wrote or who they are.
    assert set(json.loads(row.body)) == {"event", "event_id", "id", "status", "decided_by",
                                         "rules", "at"}
    assert not any(private in row.body for private in (SUSPECT, "مكلخ", "Samir", "u-7"))
    assert deliver(queue_app) == 1  # still delivered: the decision was made before
    assert [(e["id"], e["status"]) for e in receiver.events()] == [("c-1", "rejected")]
    assert deliver(queue_app) == 0 and len(rows(queue_app)) == 1


@both_backends
def test_event_and_status_change_commit_or_roll_back_together(queue_app, site):
    site.submit("c-1", SUSPECT)
    database = get_db_of(queue_app)
    with pytest.raises(RuntimeError), database.transaction() as connection:
        apply_decision(connection, "c-1", DecisionRequest("approve", (), None),
                       Actor("mona", "moderator"), notify=True)
        assert connection.execute(select(func.count()).select_from(outbox_table)).scalar_one() == 1
        raise RuntimeError("the process dies before commit")
    assert rows(queue_app) == []
    assert site.get("/v1/comments/c-1")[1]["status"] == "pending"


def test_receiver_down_is_retried_with_backoff_until_it_answers(queue_app, site, moderator):
    receiver = WebhookReceiver(SECRET)  # not started: connection refused
    queue_app.extensions[outbox.EXTENSION_KEY] = outbox.OutboxWorker(
        get_db_of(queue_app), Delivery(receiver.url, SECRET, timeout_seconds=1,
                                       backoff_seconds=0.3, backoff_max_seconds=5))
    site.submit("c-1", SUSPECT)
    moderator.decide("c-1", "approve")
    assert deliver(queue_app) == 1
    [row] = rows(queue_app)
    assert row.delivered_at is None and row.attempts == 1 and "Connection" in row.last_error
    assert 0.2 <= (row.next_attempt_at - row.created_at).total_seconds() < 2
    assert deliver(queue_app) == 0  # not due yet: backoff
    receiver.start()
    try:
        wait_until(lambda: deliver(queue_app), 5, 0.1, "the retry to be due")
        assert [e["id"] for e in receiver.events()] == ["c-1"]
        [row] = rows(queue_app)
        assert row.delivered_at is not None and row.attempts == 2
    finally:
        receiver.stop()


def test_backoff_doubles_and_is_capped():
    delivery = Delivery("http://127.0.0.1:9/", SECRET, backoff_seconds=2, backoff_max_seconds=60)
    delays = [delivery.backoff(n) for n in range(1, 10)]
    assert 1.6 <= delays[0] <= 2 and 3.2 <= delays[1] <= 4 and 6.4 <= delays[2] <= 8
    assert all(d <= 60 for d in delays) and delays[-1] >= 48


def test_server_error_is_retried_and_the_event_id_is_kept(queue_app, site, moderator, receiver):
    receiver.fail_next = 1
    site.submit("c-1", SUSPECT)
    moderator.decide("c-1", "approve")
    assert deliver(queue_app) == 1
    [row] = rows(queue_app)
    assert row.delivered_at is None and row.last_status == 503
    wait_until(lambda: deliver(queue_app), 5, 0.1, "the retry")
    first, second = receiver.deliveries
    assert first.headers["X-Moderation-Event-Id"] == second.headers["X-Moderation-Event-Id"]
    assert first.event == second.event  # the same event, safe to apply twice
    assert rows(queue_app)[0].delivered_at is not None


def test_a_redirect_is_a_failure_not_a_lost_event(queue_app, site, moderator):
    class Redirect(BaseHTTPRequestHandler):
        def do_POST(self):
            self.send_response(302)
            self.send_header("Location", "http://127.0.0.1:9/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/hook"
        queue_app.extensions[outbox.EXTENSION_KEY] = outbox.OutboxWorker(
            get_db_of(queue_app), Delivery(url, SECRET, timeout_seconds=1))
        site.submit("c-1", SUSPECT)
        moderator.decide("c-1", "approve")
        deliver(queue_app)
        [row] = rows(queue_app)
        assert row.delivered_at is None and row.last_status == 302
    finally:
        server.shutdown()
        server.server_close()


@both_backends
def test_a_leased_event_is_not_claimed_twice(queue_app, site, moderator):
    site.submit("c-1", SUSPECT)
    moderator.decide("c-1", "approve")
    database = get_db_of(queue_app)
    first = claim_due(database, "worker-a", limit=10, lease_seconds=30)
    assert len(first) == 1
    assert claim_due(database, "worker-b", limit=10, lease_seconds=30) == []
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=31)
    # worker-a died mid-delivery: once its lease has expired another process takes the event.
    again = claim_due(database, "worker-b", limit=10, lease_seconds=30, now=later)
    assert [e.event_id for e in again] == [first[0].event_id]


@both_backends
def test_concurrent_claims_split_the_events(queue_app, site, moderator):
    for i in range(20):
        site.submit(f"c-{i}", SUSPECT)
        moderator.decide(f"c-{i}", "approve")
    database = get_db_of(queue_app)
    claimed: dict[str, list] = {}

    def claim(owner):
        claimed[owner] = claim_due(database, owner, limit=20, lease_seconds=30)

    threads = [threading.Thread(target=claim, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    ids = [e.event_id for events in claimed.values() for e in events]
    assert len(ids) == 20 and len(set(ids)) == 20


@both_backends
def test_events_for_one_comment_are_delivered_in_order(queue_app, site, moderator, admin, receiver):
    site.submit("c-1", SUSPECT)
    site.submit("c-2", SUSPECT)
    moderator.decide("c-1", "reject", rules=["insult"])
    admin.decide("c-1", "approve")
    moderator.decide("c-2", "approve")
    database = get_db_of(queue_app)
    batch = claim_due(database, "w", limit=10, lease_seconds=30)
    # c-1's second event waits for its first: only one event per comment is in flight.
    assert sorted(json.loads(e.body)["id"] for e in batch) == ["c-1", "c-2"]
    for event in batch:
        outbox.record_attempt(database, event, *outbox.send(worker_of(queue_app).delivery, event),
                              worker_of(queue_app).delivery)
    assert deliver(queue_app) == 1
    statuses = [(e["id"], e["status"]) for e in receiver.events()]
    assert statuses.index(("c-1", "rejected")) < statuses.index(("c-1", "published"))


def test_the_worker_thread_delivers_on_its_own(queue_config, password_hash, receiver):
    app = create_app({**queue_config, "OUTBOX_WORKER": True})
    worker = worker_of(app)
    try:
        from service.accounts import create_user, issue_token
        from tests.queue.conftest import ROLES, SITE_KEY  # noqa: F401

        with get_db_of(app).transaction() as connection:
            create_user(connection, "sara", "moderator", "a long password")
            token = issue_token(connection, "sara")
        client = app.test_client()
        site = QueueApi(client, ROLES.site)
        moderator = QueueApi(client, {"Authorization": f"Bearer {token}"})
        site.submit("c-1", SUSPECT)
        assert moderator.decide("c-1", "approve")[0] == 200
        wait_until(lambda: receiver.events(), 5, 0.05, "the worker to deliver")
        assert receiver.events()[0]["decided_by"] == "sara"
    finally:
        worker.stop()
        get_db_of(app).dispose()


def test_without_a_webhook_url_nothing_is_queued(model_dir, keyword_dir, db_url, password_hash):
    from tests.queue.conftest import ROLES, queue_app  # noqa: F401

    app = create_app({"TESTING": True, "MODEL_DIR": str(model_dir), "KEYWORD_DIR": str(keyword_dir),
                      "DATABASE_URL": db_url, "API_KEYS": ["x" * 20]})
    assert outbox.EXTENSION_KEY not in app.extensions
    with app.test_request_context():
        assert outbox.webhooks_enabled() is False
    get_db_of(app).dispose()


@pytest.mark.parametrize(("config", "message"), [
    ({"WEBHOOK_URL": "http://127.0.0.1:9/hook", "WEBHOOK_SECRET": None}, "SECRET"),
    ({"WEBHOOK_URL": "ftp://example.org/hook", "WEBHOOK_SECRET": "s"}, r"http\(s\) address"),
])
def test_bad_webhook_settings_stop_startup(queue_config, config, message):
    with pytest.raises(RuntimeError, match=message):
        create_app({**queue_config, **config})


def test_verify_accepts_ours_and_refuses_tampering():
    body = b'{"event":"comment.status_changed","id":"c-1"}'
    now = int(time.time())
    signature = sign(SECRET, str(now), body)
    assert verify(SECRET, str(now), signature, body)
    assert not verify(SECRET, str(now), signature, body.replace(b"c-1", b"c-2"))
    assert not verify("another secret", str(now), signature, body)
    assert not verify(SECRET, str(now + 1), signature, body)
    old = str(now - 3600)
    assert not verify(SECRET, old, sign(SECRET, old, body), body)  # a replay of an old request
    assert not verify(SECRET, "not a number", signature, body)


def documented_verify():
    """The receiving site's check as docs/queue.md prints it, run as written."""
    docs = (Path(__file__).parents[2] / "docs" / "queue.md").read_text(encoding="utf-8")
    source = next(block for block in re.findall(r"```python\n(.*?)```", docs, re.S)
                  if "def verify(secret: str, headers" in block)
    namespace: dict = {}
    exec(source, namespace)  # noqa: S102 - our own documentation
    return namespace["verify"]


def test_the_documented_check_agrees_with_ours_on_hostile_headers():
    docs_verify = documented_verify()
    body = b'{"event":"comment.status_changed","id":"c-1"}'
    now = str(int(time.time()))
    good = sign(SECRET, now, body)
    cases = [  # (timestamp, signature, valid)
        (now, good, True), (now, good.upper(), False), (now, "", False), ("", good, False),
        (now, "sha256=\u00e9", False), (now, "sha256=\udcff", False), (now, good + "\u0660", False),
        ("\u00b2", good, False), ("\u0661\u0662", good, False), (" " + now, good, False),
        ("+" + now, good, False), (now[:3] + "_" + now[3:], good, False),
        # int() raises past 4,300 digits, and the subtraction from a float past about 308.
        ("9" * 400, good, False), ("1" * 4301, good, False), ("0" * 13 + now, good, False),
    ]
    for timestamp, signature, valid in cases:
        headers = {"X-Moderation-Timestamp": timestamp, "X-Moderation-Signature": signature}
        assert verify(SECRET, timestamp, signature, body) is valid, (timestamp, signature)
        assert docs_verify(SECRET, headers, body) is valid, (timestamp, signature)


def test_outbox_status_command(queue_app, site, moderator):
    site.submit("c-1", SUSPECT)
    moderator.decide("c-1", "approve")
    result = queue_app.test_cli_runner().invoke(args=["outbox", "status"])
    assert result.exit_code == 0, result.output
    status = json.loads(result.output)
    assert status["pending"] == 1 and status["delivered"] == 0
    result = queue_app.test_cli_runner().invoke(args=["outbox", "run", "--once"])
    assert result.exit_code == 0, result.output
    assert json.loads(queue_app.test_cli_runner().invoke(
        args=["outbox", "status"]).output)["delivered"] == 1
    with get_db_of(queue_app).reading() as connection:
        assert connection.execute(select(comments.c.status)).scalar_one() == "published"
    result = queue_app.test_cli_runner().invoke(args=["outbox", "purge", "--days", "1"])
    assert result.exit_code == 0 and "deleted 0" in result.output  # delivered just now: kept


def test_purge_deletes_only_old_delivered_events(queue_app, site, moderator):
    from service.outbox import purge_delivered

    for i in range(3):
        site.submit(f"c-{i}", SUSPECT)
        moderator.decide(f"c-{i}", "approve")
    database = get_db_of(queue_app)
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=40)
    with database.transaction() as connection:
        connection.execute(outbox_table.update().where(outbox_table.c.id.in_([1, 2]))
                           .values(delivered_at=long_ago))
        connection.execute(outbox_table.update().where(outbox_table.c.id == 3)
                           .values(created_at=long_ago))  # old but undelivered: kept
        assert purge_delivered(connection, dt.timedelta(days=30)) == 2
    assert [row.id for row in rows(queue_app)] == [3]
