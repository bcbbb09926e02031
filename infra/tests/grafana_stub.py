"""A local stand-in for Grafana's HTTP annotations API (`POST /api/annotations`); it records
the annotations it accepts and answers as Grafana does."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOKEN = "glsa_test-service-account-token"


@dataclass
class GrafanaStub:
    url: str = ""
    annotations: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, method: str, path: str, token: str, body: Any) -> tuple[int, Any]:
        if token != f"Bearer {TOKEN}":
            return 401, {"message": "invalid API key"}
        if (method, path) != ("POST", "/api/annotations"):
            return 404, {"message": "Not found"}
        if not isinstance(body, dict) or not body.get("text"):
            return 400, {"message": "bad request data"}
        with self.lock:
            self.annotations.append(body)
            return 200, {"message": "Annotation added", "id": len(self.annotations)}


@contextmanager
def serve_grafana() -> Iterator[GrafanaStub]:
    """A GrafanaStub listening on a free local port until the block ends."""
    stub = GrafanaStub()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            status, body = stub.handle(
                self.command,
                self.path,
                self.headers.get("Authorization", ""),
                json.loads(raw) if raw else None,
            )
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _answer

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the recorded annotations are what the tests read."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    stub.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
