"""The site's side of the queue's end-to-end tests: a webhook receiver, an HTTP server on
127.0.0.1 that checks every signature (gunicorn itself is in tests/servers.py)."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from service.outbox import verify
from tests.servers import free_port


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


