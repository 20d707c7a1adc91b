"""The service as deployed: gunicorn calling the factory, a comment scored over real HTTP."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def gunicorn_server(model_dir, tmp_path):
    """Start gunicorn with two workers on a free loopback port; yield its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "MODERATION_MODEL_DIR": str(model_dir),
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "WEB_CONCURRENCY": "2",
    }
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--config",
                "gunicorn.conf.py",
                "service:create_app()",
            ],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(base + "/readyz", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
            pytest.fail(f"gunicorn did not become ready:\n{log.read_text(errors='replace')}")
        time.sleep(0.2)
    yield base
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


def post(url: str, payload: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.slow
def test_gunicorn_scores_a_comment_over_http(gunicorn_server):
    status, body = post(gunicorn_server + "/v1/moderate", {"text": "نعل دين مك"})
    assert status == 200
    assert body["verdict"] == "reject" and "religion" in body["flags"]
    status, body = post(gunicorn_server + "/v1/moderate", {"text": ""})
    assert status == 422 and body["code"] == 422
    with urllib.request.urlopen(gunicorn_server + "/v1/model", timeout=5) as response:
        model_version = json.loads(response.read())["model_version"]
    status, body = post(gunicorn_server + "/v1/moderate", {"text": "مقال مزيان"})
    assert status == 200 and body["model_version"] == model_version
