"""A minimal webhook subscriber on 127.0.0.1, for rehearsals, tests and the day replay (benchmarks/summit_day.py).

It verifies each notice's signature, remembers the idempotency keys it has seen (a repeat is counted, not applied
twice) and can be told to fail its next requests, to rehearse a subscriber that is down.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from api.notices.webhooks import SIGNATURE_HEADER, verify


@dataclass
class Received:
    key: str
    signature_ok: bool
    body: dict[str, Any]
    attempt: int


@dataclass
class ReceiverState:
    secrets: dict[str, str] = field(default_factory=dict)  # path -> the subscription's secret
    applied: dict[str, Received] = field(default_factory=dict)  # by idempotency key: each notice once
    repeats: list[Received] = field(default_factory=list)  # the same key received again
    refused: int = 0
    fail_next: dict[str, int] = field(default_factory=dict)  # path -> requests still to answer 503
    lock: threading.Lock = field(default_factory=threading.Lock)


class WebhookReceiver:
    """``ThreadingHTTPServer`` in a daemon thread; ``url(path)`` is what to subscribe; ``close()`` stops it."""

    def __init__(self) -> None:
        self.state = ReceiverState()
        state = self.state

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the http.server convention)
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with state.lock:
                    if state.fail_next.get(self.path, 0) > 0:
                        state.fail_next[self.path] -= 1
                        state.refused += 1
                        self._answer(503)
                        return
                    secret = state.secrets.get(self.path, "")
                    got = Received(key=self.headers.get("Idempotency-Key", ""), body=json.loads(raw),
                                   signature_ok=verify(secret, raw, self.headers.get(SIGNATURE_HEADER, "")),
                                   attempt=int(self.headers.get("X-Summit-Attempt", "0")))
                    if got.key in state.applied:
                        state.repeats.append(got)
                    else:
                        state.applied[got.key] = got
                self._answer(200)

            def _answer(self, status: int) -> None:
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def expect(self, path: str, secret: str) -> None:
        """Verify what arrives on ``path`` with ``secret`` (the subscription's, answered at its creation)."""
        with self.state.lock:
            self.state.secrets[path] = secret

    def fail(self, path: str, count: int) -> None:
        """Answer 503 to the next ``count`` requests on ``path`` (0: answer again)."""
        with self.state.lock:
            self.state.fail_next[path] = count

    def applied(self) -> list[Received]:
        with self.state.lock:
            return list(self.state.applied.values())

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
