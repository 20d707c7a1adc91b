"""The queue served as in production: gunicorn with several workers, over real HTTP.

- Concurrency: many clients post the same comment ids at once; no duplicate, no error.
- Durability: the service is killed with SIGKILL mid-stream while the webhook receiver is down;
  after both come back, every comment that was answered 2xx is stored and every decision that
  was answered 2xx has reached the receiver, signed.

Both run on SQLite and PostgreSQL. Every loop is bounded in time; servers bind 127.0.0.1 only.
"""

from __future__ import annotations

import http.client as http_client
import itertools
import json
import random
import threading
import time
from collections import Counter, defaultdict

import pytest
from sqlalchemy import create_engine, func, insert, select

from service.accounts import hash_token
from service.storage import api_tokens, audit_log, comments, outbox, users, utcnow
from tests.queue.conftest import BLOCKED, CLEAN, KEYWORDS_ONLY, SITE_KEY, SUSPECT
from tests.queue.helpers import WebhookReceiver
from tests.servers import Gunicorn, http, wait_until

pytestmark = pytest.mark.slow
MOD_TOKEN = "mod_gunicorn-test-token-0123456789"
SECRET = "durability-webhook-secret"
SITE = {"Authorization": f"Bearer {SITE_KEY}"}
MOD = {"Authorization": f"Bearer {MOD_TOKEN}"}
TEXTS = [CLEAN, SUSPECT, BLOCKED]
both_backends = pytest.mark.parametrize(
    "db_url", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)


def add_moderator(db_url: str) -> None:
    engine = create_engine(db_url)
    with engine.begin() as connection:
        user_id = connection.execute(insert(users).values(
            name="gmod", role="moderator", password_hash="x", active=True,
            created_at=utcnow()).returning(users.c.id)).scalar_one()
        connection.execute(insert(api_tokens).values(
            user_id=user_id, token_hash=hash_token(MOD_TOKEN), created_at=utcnow()))
    engine.dispose()


def service_env(db_url, model_dir, keyword_dir, **extra) -> dict:
    return {
        "MODERATION_DATABASE_URL": db_url,
        "MODERATION_MODEL_DIR": str(model_dir),
        "MODERATION_KEYWORD_DIR": str(keyword_dir),
        "MODERATION_API_KEYS": json.dumps([SITE_KEY]),
        "MODERATION_SECRET_KEY": "gunicorn-test-secret-key-0123456789",
        "MODERATION_THRESHOLDS": json.dumps(KEYWORDS_ONLY),
        **{f"MODERATION_{k}": str(v) for k, v in extra.items()},
    }


def count(db_url: str, query) -> int:
    engine = create_engine(db_url)
    with engine.connect() as connection:
        value = connection.execute(query).scalar_one()
    engine.dispose()
    return value


@both_backends
def test_concurrent_posts_of_the_same_ids_make_no_duplicates_and_no_errors(
        db_url, model_dir, keyword_dir, tmp_path):
    add_moderator(db_url)
    server = Gunicorn(service_env(db_url, model_dir, keyword_dir), workers=3,
                      log_path=tmp_path / "gunicorn.log").start()
    ids = [f"c-{i}" for i in range(60)]
    results: list[tuple[str, int]] = []
    errors: list[str] = []
    lock = threading.Lock()

    def client(seed: int):
        order = ids[:]
        random.Random(seed).shuffle(order)
        for comment_id in order:
            try:
                status, body = http("POST", server.base + "/v1/comments", {
                    "id": comment_id, "text": TEXTS[int(comment_id[2:]) % 3],
                    "article_id": "a1", "author_id": "u1"}, SITE)
            except OSError as error:
                status, body = -1, {"error": str(error)}
            with lock:
                results.append((comment_id, status))
                if status not in (200, 201):
                    errors.append(f"{comment_id}: {status} {body}")

    try:
        threads = [threading.Thread(target=client, args=(seed,)) for seed in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert not any(t.is_alive() for t in threads)
        assert errors == []
        assert len(results) == 8 * len(ids)
        created = Counter(cid for cid, status in results if status == 201)
        assert created == Counter(ids)  # exactly one 201 per id, the others 200

        # Now concurrent decisions on the same pending comments.
        pending = [cid for cid in ids if int(cid[2:]) % 3 == 1]
        decided: list[tuple[str, str, int]] = []

        def decider(seed: int):
            rng = random.Random(seed)
            for comment_id in rng.sample(pending, len(pending)):
                decision = rng.choice(["approve", "reject"])
                status, _ = http("POST", f"{server.base}/v1/comments/{comment_id}/decision",
                                 {"decision": decision}, MOD)
                with lock:
                    decided.append((comment_id, decision, status))

        # Then bulk decisions over the same comments listed in opposite orders, as from two
        # moderators' differently sorted views: on PostgreSQL these used to deadlock (500).
        def bulk_decider(seed: int):
            order = pending[::-1] if seed % 2 else pending
            for round_number in range(3):
                decision = ("approve", "reject")[(seed + round_number) % 2]
                status, _ = http("POST", f"{server.base}/v1/decisions",
                                 {"ids": order, "decision": decision}, MOD)
                with lock:
                    decided.append(("bulk", decision, status))

        for target in (decider, bulk_decider):
            threads = [threading.Thread(target=target, args=(seed,)) for seed in range(4)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(120)
            assert not any(t.is_alive() for t in threads)
        assert {status for _, _, status in decided} == {200}
        assert sum(1 for kind, _, _ in decided if kind == "bulk") == 12
    finally:
        server.stop()
    log = (tmp_path / "gunicorn.log").read_text(errors="replace")
    assert "Traceback" not in log and "locked" not in log, log[-3000:]
    assert count(db_url, select(func.count()).select_from(comments)) == len(ids)
    assert count(db_url, select(func.count()).select_from(audit_log)
                 .where(audit_log.c.action.like("system.%"))) == len(ids)
    # Every recorded decision moved the comment from the status the previous one left.
    engine = create_engine(db_url)
    with engine.connect() as connection:
        trail = defaultdict(list)
        for row in connection.execute(select(comments.c.id, audit_log.c.from_status,
                                             audit_log.c.to_status, comments.c.status,
                                             audit_log.c.at)
                                      .join(comments, comments.c.pk == audit_log.c.comment_pk)
                                      .order_by(audit_log.c.id)):
            trail[row.id].append((row.from_status, row.to_status, row.status, row.at))
    engine.dispose()
    for comment_id in pending:
        steps = trail[comment_id]
        for previous, current in itertools.pairwise(steps):
            assert current[0] == previous[1], steps
            # Stamped in the order applied: the webhook's `at` never goes back in time.
            assert current[3] >= previous[3], steps
        assert steps[-1][1] == steps[-1][2]  # the last entry is the current status


@both_backends
def test_nothing_is_lost_when_the_service_is_killed_and_the_receiver_is_down(
        db_url, model_dir, keyword_dir, tmp_path):
    add_moderator(db_url)
    receiver = WebhookReceiver(SECRET)  # a port, but nothing listens yet: the site is down
    env = service_env(db_url, model_dir, keyword_dir, WEBHOOK_URL=receiver.url,
                      WEBHOOK_SECRET=SECRET, WEBHOOK_TIMEOUT_SECONDS=1, WEBHOOK_BACKOFF_SECONDS=0.2,
                      WEBHOOK_BACKOFF_MAX_SECONDS=1, OUTBOX_LEASE_SECONDS=3,
                      OUTBOX_POLL_SECONDS=0.2)
    server = Gunicorn(env, workers=2, log_path=tmp_path / "gunicorn.log").start()
    accepted: dict[str, str] = {}         # comment id -> text, answered 2xx
    decisions: dict[str, str] = {}        # comment id -> status of the last decision answered 2xx
    # A decision sent but never answered (the service died mid-response) may or may not have
    # landed: its comment's final status is unknown, so it is no longer checked or decided.
    unknown: set[str] = set()
    stop = threading.Event()
    lock = threading.Lock()
    sequence = itertools.count()

    def poster():
        while not stop.is_set():
            n = next(sequence)
            comment_id, text = f"c-{n}", f"{TEXTS[n % 3]} {n}"
            try:
                status, _ = http("POST", server.base + "/v1/comments", {
                    "id": comment_id, "text": text, "article_id": "a", "author_id": f"u{n % 5}"},
                    SITE, timeout=5)
            except (OSError, http_client.HTTPException):
                time.sleep(0.02)
                continue
            if status in (200, 201):
                with lock:
                    accepted[comment_id] = text

    def decider():
        rng = random.Random(7)
        while not stop.is_set():
            with lock:
                candidates = [cid for cid in accepted
                              if int(cid[2:]) % 3 == 1 and cid not in unknown]
            if not candidates:
                time.sleep(0.02)
                continue
            comment_id = rng.choice(candidates)
            decision = rng.choice(["approve", "reject"])
            try:
                status, body = http("POST", f"{server.base}/v1/comments/{comment_id}/decision",
                                    {"decision": decision}, MOD, timeout=5)
            except (OSError, http_client.HTTPException) as error:
                # Refused: nothing was sent. Anything else may have landed unanswered.
                if not isinstance(getattr(error, "reason", error), ConnectionRefusedError):
                    with lock:
                        unknown.add(comment_id)
                        decisions.pop(comment_id, None)
                time.sleep(0.02)
                continue
            if status == 200:
                with lock:
                    decisions[comment_id] = body["status"]

    threads = [threading.Thread(target=poster) for _ in range(2)]
    threads.append(threading.Thread(target=decider))
    for thread in threads:
        thread.start()
    try:
        wait_until(lambda: len(decisions) >= 15 and len(accepted) >= 60, 60, 0.05,
                   "traffic to build up")
        server.kill()  # mid-stream: requests are in flight
        time.sleep(0.3)  # the clients keep trying against a dead port
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
    assert not any(t.is_alive() for t in threads)

    restarted = Gunicorn(env, workers=2, log_path=tmp_path / "gunicorn-2.log").start()
    receiver.start()
    try:
        def all_delivered():
            latest = {}
            for event in receiver.events():
                latest[event["id"]] = event["status"]
            return all(latest.get(cid) == status for cid, status in decisions.items())

        wait_until(all_delivered, 60, 0.1, "every decision to reach the receiver")
        for comment_id, text in accepted.items():
            status, body = http("GET", f"{restarted.base}/v1/comments/{comment_id}", headers=SITE)
            assert status == 200 and body["text"] == text
            if comment_id in decisions:
                assert body["status"] == decisions[comment_id]
        wait_until(lambda: count(db_url, select(func.count()).select_from(outbox)
                                 .where(outbox.c.delivered_at.is_(None))) == 0, 30, 0.1,
                   "the outbox to drain")
    finally:
        restarted.stop()
        receiver.stop()
    assert all(d.valid for d in receiver.deliveries)
    by_event = defaultdict(set)
    for delivery in receiver.deliveries:
        by_event[delivery.event["event_id"]].add(delivery.body)
    assert all(len(bodies) == 1 for bodies in by_event.values())  # a redelivery is the same event
    assert len(by_event) == count(db_url, select(func.count()).select_from(outbox))
