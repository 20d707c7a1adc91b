"""Real processes and servers for the queue's end-to-end tests: a webhook receiver (an HTTP
server on 127.0.0.1 that checks every signature) and gunicorn running the service."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from service.outbox import verify

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, timeout: float, interval: float = 0.05, message: str = "condition"):
    """Poll ``predicate`` until it returns a truthy value; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)


@dataclass
class Delivery:
    """One request the receiver got."""

    headers: dict
    body: bytes
    valid: bool

    @property
    def event(self) -> dict:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    """A site's webhook endpoint: records every request and whether its signature verifies.

    ``fail_next`` makes the next N requests answer 503, to exercise retries. It can be stopped
    and started again on the same port, to play a site that is down for a while.
    """

    secret: str
    port: int = field(default_factory=free_port)
    fail_next: int = 0
    deliveries: list[Delivery] = field(default_factory=list)

    def __post_init__(self):
        self._server: ThreadingHTTPServer | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/moderation"

    def start(self) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                valid = verify(receiver.secret, self.headers.get("X-Moderation-Timestamp", ""),
                               self.headers.get("X-Moderation-Signature", ""), body)
                with receiver._lock:
                    failing = receiver.fail_next > 0
                    receiver.fail_next -= failing
                    receiver.deliveries.append(Delivery(dict(self.headers), body, valid))
                self.send_response(503 if failing else 200 if valid else 401)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def events(self, accepted_only: bool = True) -> list[dict]:
        """Return the event bodies received (by default only those answered 2xx, i.e. valid)."""
        with self._lock:
            return [d.event for d in self.deliveries if d.valid or not accepted_only]


@dataclass
class Gunicorn:
    """The service under gunicorn, as `make run` starts it, on a free loopback port."""

    env: dict
    workers: int = 2
    port: int = field(default_factory=free_port)
    log_path: Path | None = None

    def __post_init__(self):
        self.process: subprocess.Popen | None = None
        self._log = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> Gunicorn:
        env = {**os.environ, **self.env, "HOST": "127.0.0.1", "PORT": str(self.port),
               "WEB_CONCURRENCY": str(self.workers), "LOG_LEVEL": "warning"}
        self._log = open(self.log_path, "ab") if self.log_path else None  # noqa: SIM115
        log = self._log or subprocess.DEVNULL
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py",
             "--access-logfile", "/dev/null", "service:create_app()"],
            cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True)
        try:
            wait_until(self._ready, timeout, 0.1, "gunicorn to answer /healthz")
        except AssertionError:
            self.kill()
            tail = self.log_path.read_text(errors="replace")[-3000:] if self.log_path else ""
            raise AssertionError(f"gunicorn did not start:\n{tail}") from None
        return self

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"gunicorn exited with {self.process.returncode}: "
                                 + (self.log_path.read_text(errors="replace")[-3000:]
                                    if self.log_path else ""))
        try:
            with urllib.request.urlopen(self.base + "/healthz", timeout=1) as response:
                return response.status == 200
        except OSError:
            return False

    def kill(self) -> None:
        """SIGKILL the master and every worker at once: no graceful shutdown, no cleanup."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)
        self._close_log()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        self._close_log()


def http(method: str, url: str, payload=None, headers: dict | None = None,
         timeout: float = 10) -> tuple[int, dict | None]:
    """Send a JSON request; return (status, parsed body or None). Connection errors raise."""
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(url, data=data, method=method, headers={
        "Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            return error.code, json.loads(raw) if raw else None
        except ValueError:
            return error.code, {"raw": raw.decode(errors="replace")}
