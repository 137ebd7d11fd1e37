"""A loopback HTTP receiver for notifications: records each POSTed JSON body; tests wait on a condition."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Receiver:
    """The bodies received so far; `wait_for(n)` blocks until there are `n` (or the timeout passes)."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self._changed = threading.Condition()
        self.url = ""

    def add(self, body: dict[str, Any]) -> None:
        """Record one body and wake the waiters."""
        with self._changed:
            self.bodies.append(body)
            self._changed.notify_all()

    def wait_for(self, count: int, timeout: float) -> list[dict[str, Any]]:
        """The bodies once there are at least `count`; raises AssertionError after `timeout` seconds."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.bodies) >= count, timeout=timeout):
                raise AssertionError(f"{len(self.bodies)} notifications after {timeout} s, expected {count}")
            return list(self.bodies)


@contextmanager
def receiving() -> Iterator[Receiver]:
    """Run a `Receiver` on 127.0.0.1 (a free port) for the duration of the block."""
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            receiver.add(json.loads(self.rfile.read(length) or b"{}"))
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
