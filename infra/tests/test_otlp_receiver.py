from __future__ import annotations

import gzip
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import SpanKind, format_span_id, format_trace_id

from e2e.otlp_receiver import Receiver
from e2e.traces import Span, broken_links, in_trace, passes_through, read_spans, service_paths

INFRA = Path(__file__).resolve().parent.parent


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[Receiver]:
    with Receiver(tmp_path / "spans.jsonl") as running:
        thread = threading.Thread(target=running.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        yield running
        running.shutdown()
        thread.join()


def _provider(service: str, endpoint: str, compression: Compression) -> TracerProvider:
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    exporter = OTLPSpanExporter(endpoint=endpoint, compression=compression, timeout=5)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider


def _span(span_id: str, parent: str | None, service: str, start: int = 0) -> Span:
    return Span("t1", span_id, parent, f"op {span_id}", "internal", service, start, start + 1)


class TestReceiver:
    @pytest.mark.parametrize("compression", [Compression.Gzip, Compression.NoCompression])
    def test_spans_exported_by_the_sdk_are_written_with_their_links(
        self, receiver: Receiver, compression: Compression
    ) -> None:
        provider = _provider("core-api", f"{receiver.url}/v1/traces", compression)
        tracer = provider.get_tracer("test")
        with tracer.start_as_current_span("POST /v1/imports", kind=SpanKind.SERVER) as parent:
            with tracer.start_as_current_span("insert", kind=SpanKind.CLIENT) as child:
                pass
        provider.shutdown()

        spans = {span.name: span for span in read_spans(receiver.spans.path)}
        trace_id = format_trace_id(parent.get_span_context().trace_id)
        assert spans["POST /v1/imports"].trace_id == spans["insert"].trace_id == trace_id
        assert spans["POST /v1/imports"].parent_span_id is None
        assert spans["insert"].parent_span_id == format_span_id(parent.get_span_context().span_id)
        assert spans["insert"].span_id == format_span_id(child.get_span_context().span_id)
        assert (spans["POST /v1/imports"].kind, spans["insert"].kind) == ("server", "client")
        assert {span.service for span in spans.values()} == {"core-api"}
        first = spans["POST /v1/imports"]
        assert 0 < first.start <= spans["insert"].start <= spans["insert"].end <= first.end

    def test_exports_of_several_services_land_in_one_file(self, receiver: Receiver) -> None:
        for service in ("edge-bff", "workers"):
            provider = _provider(service, f"{receiver.url}/v1/traces", Compression.Gzip)
            with provider.get_tracer("test").start_as_current_span(f"{service} work"):
                pass
            provider.shutdown()
        services = {span.name: span.service for span in read_spans(receiver.spans.path)}
        assert services == {"edge-bff work": "edge-bff", "workers work": "workers"}

    def test_an_exporter_pointed_at_the_base_url_is_refused(self, receiver: Receiver) -> None:
        answer = httpx.post(
            receiver.url, content=b"", headers={"Content-Type": "application/x-protobuf"}
        )
        assert answer.status_code == 404
        assert read_spans(receiver.spans.path) == []

    @pytest.mark.parametrize(
        ("headers", "body", "status"),
        [
            ({"Content-Type": "application/json"}, b"{}", 415),
            ({"Content-Type": "application/x-protobuf"}, b"\xff\xff\xff", 400),
            (
                {"Content-Type": "application/x-protobuf", "Content-Encoding": "gzip"},
                b"not gzip",
                400,
            ),
        ],
    )
    def test_bodies_it_cannot_read_are_refused(
        self, receiver: Receiver, headers: dict[str, str], body: bytes, status: int
    ) -> None:
        answer = httpx.post(f"{receiver.url}/v1/traces", content=body, headers=headers)
        assert answer.status_code == status
        assert read_spans(receiver.spans.path) == []

    def test_an_empty_export_is_accepted(self, receiver: Receiver) -> None:
        answer = httpx.post(
            f"{receiver.url}/v1/traces",
            content=gzip.compress(b""),
            headers={"Content-Type": "application/x-protobuf", "Content-Encoding": "gzip"},
        )
        assert answer.status_code == 200
        assert read_spans(receiver.spans.path) == []

    def test_as_a_process_it_says_its_url_and_stops_on_sigterm(self, tmp_path: Path) -> None:
        spans = tmp_path / "out" / "spans.jsonl"
        with subprocess.Popen(
            [sys.executable, "-m", "e2e.otlp_receiver", "--spans", str(spans)],
            cwd=INFRA,
            stdout=subprocess.PIPE,
            text=True,
        ) as process:
            try:
                assert process.stdout is not None
                url = process.stdout.readline().strip()
                provider = _provider("workers", f"{url}/v1/traces", Compression.Gzip)
                with provider.get_tracer("test").start_as_current_span("handle"):
                    pass
                provider.shutdown()
            finally:
                process.send_signal(signal.SIGTERM)
                assert process.wait(timeout=10) == 0
        assert [span.name for span in read_spans(spans)] == ["handle"]


class TestReadSpans:
    def test_a_line_that_is_not_a_span_is_named_by_its_number(self, tmp_path: Path) -> None:
        path = tmp_path / "spans.jsonl"
        path.write_text(_span("a", None, "edge-bff").to_json() + "\n{}\n")
        with pytest.raises(ValueError, match=r"spans.jsonl:2: not a span"):
            read_spans(path)

    def test_a_missing_file_holds_no_span(self, tmp_path: Path) -> None:
        assert read_spans(tmp_path / "absent.jsonl") == []


class TestTraceChecks:
    def test_one_tree_has_no_broken_link(self) -> None:
        trace = [_span("a", None, "edge-bff"), _span("b", "a", "core-api")]
        assert broken_links(trace) == []

    def test_a_span_whose_parent_was_not_received_is_named(self) -> None:
        trace = [_span("a", None, "edge-bff"), _span("c", "lost", "workers")]
        assert broken_links(trace) == ["workers span 'op c' has a parent that is not in the trace"]

    def test_two_roots_are_not_one_trace(self) -> None:
        trace = [_span("a", None, "edge-bff"), _span("b", None, "workers")]
        assert broken_links(trace) == ["2 root spans, not one: edge-bff 'op a', workers 'op b'"]

    def test_paths_collapse_the_spans_of_one_service(self) -> None:
        trace = [
            _span("a", None, "edge-bff"),
            _span("b", "a", "edge-bff"),
            _span("c", "b", "core-api"),
            _span("d", "c", "workers"),
            _span("e", "d", "workers"),
            _span("f", "e", "core-api"),
        ]
        assert ("edge-bff", "core-api", "workers", "core-api") in service_paths(trace)
        assert ("edge-bff",) in service_paths(trace)

    def test_a_route_is_followed_down_one_branch_in_order(self) -> None:
        trace = [
            _span("a", None, "edge-bff"),
            _span("b", "a", "core-api"),
            _span("c", "b", "web-ui"),
            _span("d", "c", "workers"),
            _span("e", "a", "core-api"),
        ]
        assert passes_through(trace, ("edge-bff", "core-api", "workers"))
        assert not passes_through(trace, ("edge-bff", "workers", "core-api"))
        assert not passes_through(trace, ("edge-bff", "core-api", "core-api"))

    def test_a_loop_of_ids_ends(self) -> None:
        trace = [_span("a", "b", "edge-bff"), _span("b", "a", "core-api")]
        assert service_paths(trace) == {("core-api", "edge-bff"), ("edge-bff", "core-api")}

    def test_a_trace_is_its_own_spans_earliest_first(self) -> None:
        late, early = _span("a", None, "edge-bff", start=5), _span("b", "a", "core-api", start=1)
        other = Span("t2", "c", None, "op", "server", "web-ui", 0, 1)
        assert in_trace([late, other, early], "t1") == [early, late]
