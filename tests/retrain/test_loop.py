"""The whole retraining loop against the service as deployed: gunicorn with two workers keeps
answering clients while a model is promoted, rolled back, and a damaged version is pointed at by
hand. Not one request may fail; every answer names the old or the new model, and once the
workers have had time to look at the pointer, only the one the pointer names (if it is sound).

Loops are bounded in time and count; the server binds 127.0.0.1 only."""

from __future__ import annotations

import json
import shutil
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from service.db import Database
from service.model import ARTIFACT_FILE, METADATA_FILE
from tests.retrain.conftest import GATE
from tests.retrain.corpus import CLEAN, INSULT, RELIGION
from tests.servers import Gunicorn
from training.registry import promote, read_history, rollback, set_current

pytestmark = pytest.mark.slow
RELOAD_SECONDS = 0.5
# After a pointer change, each worker looks within RELOAD_SECONDS of its next request and loads
# a small model in milliseconds; the margin covers a machine busy with other work.
SETTLE_SECONDS = RELOAD_SECONDS + 2.5
TEXTS = CLEAN + INSULT + RELIGION


def get_json(url: str, payload: dict | None = None) -> tuple[int, dict]:
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, {"error": error.read().decode(errors="replace")}


@dataclass(frozen=True)
class Answer:
    started: float
    status: int | None
    version: str | None
    error: str | None = None


class Clients:
    """A few threads posting comments back to back until stopped (or 180 s at most)."""

    def __init__(self, base: str, threads: int = 3):
        self.base, self.answers, self.lock = base, [], threading.Lock()
        self.stop = threading.Event()
        self.threads = [
            threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(threads)
        ]

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=15)

    def _run(self, seed: int):
        deadline = time.monotonic() + 180
        i = seed
        while not self.stop.is_set() and time.monotonic() < deadline:
            started = time.monotonic()
            try:
                status, body = get_json(self.base + "/v1/moderate", {"text": TEXTS[i % len(TEXTS)]})
                answer = Answer(
                    started, status, body.get("model_version"), None if status == 200 else str(body)
                )
            except OSError as error:
                answer = Answer(started, None, None, repr(error))
            with self.lock:
                self.answers.append(answer)
            i += 3

    def since(self, moment: float) -> list[Answer]:
        with self.lock:
            return [a for a in self.answers if a.started >= moment]

    def wait_for(self, moment: float, count: int = 40, timeout: float = 30) -> list[Answer]:
        """Wait until ``count`` requests started after ``moment`` were answered; return them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < max(moment, 0) or len(self.since(moment)) < count:
            assert time.monotonic() < deadline, "the clients stopped getting answers"
            time.sleep(0.05)
        return self.since(moment)


@pytest.fixture
def gunicorn(tmp_path):
    """Start gunicorn (2 workers) on a registry; yield (start, log path)."""
    servers = []
    log_path = tmp_path / "gunicorn.log"

    def start(registry: Path) -> str:
        database = f"sqlite:///{tmp_path / 'queue.db'}"
        Database(database).create_schema()
        server = Gunicorn(env={
            "MODERATION_MODEL_DIR": str(registry),
            "MODERATION_MODEL_RELOAD_SECONDS": str(RELOAD_SECONDS),
            "MODERATION_DATABASE_URL": database,
            "MODERATION_OUTBOX_WORKER": "false",
            "MODERATION_SECRET_KEY": "retrain-loop-test-secret-key-0123456789",
        }, log_path=log_path)
        servers.append(server.start())
        return server.base

    yield start, log_path
    for server in servers:
        server.stop()


def versions_of(answers: list[Answer]) -> set[str | None]:
    return {a.version for a in answers}


def test_promotion_and_rollback_switch_a_running_service_without_a_failed_request(
    gunicorn, make_registry, models, corpus_dir
):
    start, log_path = gunicorn
    old, new = models["weak"].name, models["good"].name
    registry = make_registry("weak", "good")  # serving "weak"
    base = start(registry)

    with Clients(base) as clients:
        assert versions_of(clients.wait_for(time.monotonic())) == {old}

        # Promote: the candidate passes the checks, the pointer moves, the workers follow.
        promotion = promote(registry, new, corpus_dir=corpus_dir, gate_paths=[GATE])
        assert promotion.promoted, promotion.failures
        switched = time.monotonic()
        after = clients.wait_for(switched + SETTLE_SECONDS)
        assert versions_of(after) == {new}
        assert versions_of(clients.since(switched)) <= {old, new}
        assert {get_json(base + "/v1/model")[1]["model_version"] for _ in range(8)} == {new}

        # Roll back: the same, the other way.
        rollback(registry, reason="loop test")
        rolled = time.monotonic()
        assert versions_of(clients.wait_for(rolled + SETTLE_SECONDS)) == {old}
        assert versions_of(clients.since(rolled)) <= {old, new}

        # A damaged version, pointed at by hand: refused by every worker, the old model serves on.
        damaged = registry / "20991231T000000Z-deadbeef"
        shutil.copytree(registry / new, damaged)
        metadata = json.loads((damaged / METADATA_FILE).read_text())
        (damaged / METADATA_FILE).write_text(
            json.dumps({**metadata, "model_version": damaged.name})
        )
        artifact = damaged / ARTIFACT_FILE
        artifact.write_bytes(artifact.read_bytes()[: len(artifact.read_bytes()) // 2])
        set_current(registry, damaged.name)
        edited = time.monotonic()
        assert versions_of(clients.wait_for(edited + SETTLE_SECONDS)) == {old}
        assert versions_of(clients.since(edited)) == {old}
        assert get_json(base + "/readyz") == (200, {"status": "ready", "model_version": old})

    failures = [a for a in clients.answers if a.status != 200]
    assert not failures, failures[:5]
    assert len(clients.answers) > 150
    assert [e["action"] for e in read_history(registry)] == ["promote", "rollback"]
    log = log_path.read_text(errors="replace")
    assert log.count(f"now serving model {new}") == 2  # each worker, once
    assert log.count(f"now serving model {old}") == 2
    assert log.count(f"refusing model '{damaged.name}'") == 2
