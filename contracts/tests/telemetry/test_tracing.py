import http.server
import threading
from collections.abc import Iterator

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tradeloop_contracts.telemetry import configure_tracing, extract_context, tracer


class Collector(http.server.BaseHTTPRequestHandler):
    """An OTLP/HTTP receiver that keeps what it is sent."""

    received: list[tuple[str, str, bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.path, self.headers["Content-Type"], body))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_: object) -> None:
        """Quiet."""


@pytest.fixture
def collector() -> Iterator[str]:
    server = http.server.HTTPServer(("127.0.0.1", 0), Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Collector.received.clear()
    yield f"http://127.0.0.1:{server.server_port}/v1/traces"
    server.shutdown()
    server.server_close()


def test_otlp_sends_spans_with_the_service_name(collector: str) -> None:
    provider = configure_tracing("ai-coach", exporter="otlp", endpoint=collector)
    with tracer().start_as_current_span("weekly review"):
        pass
    assert provider.force_flush()

    ((path, content_type, body),) = Collector.received
    request = ExportTraceServiceRequest.FromString(body)
    (resource_spans,) = request.resource_spans
    attributes = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
    assert path == "/v1/traces"
    assert content_type == "application/x-protobuf"
    assert attributes["service.name"] == "ai-coach"
    assert [span.name for span in resource_spans.scope_spans[0].spans] == ["weekly review"]


def test_console_prints_each_span(capsys: pytest.CaptureFixture[str]) -> None:
    provider = configure_tracing("workers", exporter="console")
    with tracer().start_as_current_span("import job"):
        pass
    provider.force_flush()

    assert '"name": "import job"' in capsys.readouterr().out


def test_new_traces_follow_the_ratio_and_continued_ones_the_callers_choice() -> None:
    configure_tracing("edge-bff", sampler_ratio=0.0)
    sampled = extract_context({"traceparent": f"00-{'ab' * 16}-{'cd' * 8}-01"})
    with tracer().start_as_current_span("new trace") as new:
        assert not new.is_recording()
    with tracer().start_as_current_span("continued", context=sampled) as continued:
        assert continued.is_recording()


@pytest.mark.parametrize(
    ("exporter", "ratio", "error"),
    [
        ("jaeger", 1.0, "exporter must be none, console or otlp, not 'jaeger'"),
        ("none", 1.5, "sampler_ratio must be between 0 and 1, got 1.5"),
    ],
)
def test_unusable_settings_are_refused(exporter: str, ratio: float, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        configure_tracing("edge-bff", exporter=exporter, sampler_ratio=ratio)  # type: ignore[arg-type]
