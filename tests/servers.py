"""Real servers for end-to-end tests: the service under gunicorn, as `make run` starts it, on a
free loopback port, plus small HTTP and polling helpers."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


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
        # No daily maintenance unless a test asks for it: a run crossing 03:15 UTC would purge.
        env = {**os.environ, "MODERATION_MAINTENANCE_AT": "off", **self.env,
               "HOST": "127.0.0.1", "PORT": str(self.port),
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
