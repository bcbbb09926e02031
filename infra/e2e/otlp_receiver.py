"""A local OTLP/HTTP trace receiver for the end-to-end run: it writes each span it is
sent as one JSON line (see e2e/traces.py) to a file.

    python -m e2e.otlp_receiver --spans SPANS_FILE [--port 0]

Accepts `POST /v1/traces` with a protobuf `ExportTraceServiceRequest` (gzip when the
request says `Content-Encoding: gzip`) and answers 200 with an empty
`ExportTraceServiceResponse`, like a collector. Other paths get 404, other content
types 415, bodies that do not decode 400; each is said on stderr, so an exporter
pointed at the wrong URL shows in the log. Once listening it prints its base URL
(`http://127.0.0.1:<port>`) as the first line on stdout; SIGTERM or Ctrl-C stops it.
"""

from __future__ import annotations

import argparse
import gzip
import signal
import sys
import threading
import zlib
from collections.abc import Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.trace.v1.trace_pb2 import Span as ProtoSpan

from .traces import Span

TRACES_PATH = "/v1/traces"
PROTOBUF = "application/x-protobuf"
MAX_BODY_BYTES = 16 * 1024 * 1024


def spans_of(request: ExportTraceServiceRequest) -> Iterator[Span]:
    """The spans of an export, each with its resource's `service.name`."""
    for resource_spans in request.resource_spans:
        service = next(
            (
                attribute.value.string_value
                for attribute in resource_spans.resource.attributes
                if attribute.key == "service.name"
            ),
            "unknown",
        )
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                yield Span(
                    trace_id=span.trace_id.hex(),
                    span_id=span.span_id.hex(),
                    parent_span_id=span.parent_span_id.hex() or None,
                    name=span.name,
                    kind=ProtoSpan.SpanKind.Name(span.kind).removeprefix("SPAN_KIND_").lower(),
                    service=service,
                    start=span.start_time_unix_nano,
                    end=span.end_time_unix_nano,
                )


class SpanFile:
    """Appends spans to a file, one JSON line each, from any number of threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def append(self, spans: list[Span]) -> None:
        lines = "".join(span.to_json() + "\n" for span in spans)
        with self._lock, self.path.open("a", encoding="utf-8") as file:
            file.write(lines)


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        if self.path.split("?", 1)[0] != TRACES_PATH:
            self._refuse(HTTPStatus.NOT_FOUND, f"{self.path} is not {TRACES_PATH}")
            return
        content_type = self.headers.get("Content-Type", "").split(";", 1)[0].strip()
        if content_type != PROTOBUF:
            self._refuse(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, f"content type {content_type!r}")
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self._refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"{length} bytes")
            return
        body = self.rfile.read(length)
        try:
            if self.headers.get("Content-Encoding", "").lower() == "gzip":
                body = gzip.decompress(body)
            request = ExportTraceServiceRequest.FromString(body)
        except (OSError, EOFError, zlib.error, DecodeError) as error:
            self._refuse(HTTPStatus.BAD_REQUEST, f"the body does not decode: {error}")
            return
        self.server.spans.append(list(spans_of(request)))
        answer = ExportTraceServiceResponse().SerializeToString()
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", PROTOBUF)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def _refuse(self, status: HTTPStatus, why: str) -> None:
        sys.stderr.write(f"otlp receiver: {status.value} for POST {self.path}: {why}\n")
        self.send_error(status, why)

    def log_message(self, format: str, *args: Any) -> None:
        """Accepted exports are not worth a line each; refusals are said in `_refuse`."""


class Receiver(ThreadingHTTPServer):
    """The HTTP server; `url` is its base URL, the one exporters are given."""

    daemon_threads = True

    def __init__(self, spans: Path, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.spans = SpanFile(spans)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m e2e.otlp_receiver")
    parser.add_argument("--spans", type=Path, required=True, help="the file spans go to")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    args = parser.parse_args(argv)
    args.spans.parent.mkdir(parents=True, exist_ok=True)
    args.spans.touch()
    with Receiver(args.spans, args.port) as receiver:
        signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=receiver.shutdown).start())
        sys.stdout.write(receiver.url + "\n")
        sys.stdout.flush()
        try:
            receiver.serve_forever()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
