import time
import uuid

import httpx
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from prometheus_client.parser import text_string_to_metric_families
from tradeloop_contracts.telemetry import capture_spans

from tests.factories import a_journal_page, a_position
from tests.stub_edge import StubEdge

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN_ID = "00f067aa0ba902b7"


def serve_position(edge: StubEdge) -> uuid.UUID:
    position = a_position()
    edge.answer("GET", f"/api/v1/positions/{position.id}", position)
    edge.answer("GET", "/api/v1/journal/entries", a_journal_page())
    return position.id


def requests_counted(metrics: str, route: str, status: str) -> float:
    """The value of web-ui's `http_requests_total` for GET `route` answered with `status`."""
    for family in text_string_to_metric_families(metrics):
        for sample in family.samples:
            if sample.name == "http_requests_total" and sample.labels == {
                "service": "web-ui",
                "method": "GET",
                "route": route,
                "status": status,
            }:
                return sample.value
    return 0.0


class TestMetrics:
    def test_each_page_is_counted_and_timed_by_its_route_template(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        before = requests_counted(browser.get("/metrics").text, "/positions/{position_id}", "200")

        browser.get(f"/positions/{serve_position(edge)}")
        browser.get(f"/positions/{serve_position(edge)}")
        browser.get(f"/positions/{uuid.uuid4()}")  # edge answers 404
        metrics = browser.get("/metrics")

        assert metrics.headers["content-type"].startswith("text/plain")
        after = metrics.text
        assert requests_counted(after, "/positions/{position_id}", "200") == before + 2
        assert requests_counted(after, "/positions/{position_id}", "404") >= 1
        assert (
            'http_request_duration_seconds_count{method="GET",'
            'route="/positions/{position_id}",service="web-ui"}'
        ) in after
        assert 'http_requests_in_flight{service="web-ui"}' in after


class TestTracing:
    def test_a_page_continues_the_callers_trace_and_hands_it_on_to_edge(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        position_id = serve_position(edge)

        with capture_spans("web-ui") as exporter:
            response = browser.get(
                f"/positions/{position_id}",
                headers={"traceparent": f"00-{TRACE_ID}-{CALLER_SPAN_ID}-01"},
            )
            # The server span ends just after the response is sent.
            page_spans = wait_for_spans(exporter, "GET /positions/{position_id}")

        spans = exporter.get_finished_spans()
        assert response.status_code == 200
        assert {format(span.context.trace_id, "032x") for span in spans} == {TRACE_ID}
        (page_span,) = page_spans
        assert page_span.kind == SpanKind.SERVER
        assert page_span.parent is not None
        assert format(page_span.parent.span_id, "016x") == CALLER_SPAN_ID
        assert response.headers["traceparent"] == (
            f"00-{TRACE_ID}-{format(page_span.context.span_id, '016x')}-01"
        )
        calls = {
            f"00-{TRACE_ID}-{format(span.context.span_id, '016x')}-01"
            for span in spans
            if span.kind == SpanKind.CLIENT
        }
        sent = [call.headers["traceparent"] for call in edge.requests]
        assert len(sent) >= 2
        assert set(sent) == calls

    def test_a_readiness_probe_starts_no_trace(self, browser: httpx.Client, edge: StubEdge) -> None:
        edge.answer("GET", "/healthz", b"{}")

        with capture_spans("web-ui") as exporter:
            assert browser.get("/readyz").status_code == 200
            page = browser.get(f"/positions/{serve_position(edge)}")
            wait_for_spans(exporter, "GET /positions/{position_id}")

        assert page.status_code == 200
        assert "traceparent" not in edge.received("GET", "/healthz")[0].headers
        traces = {span.context.trace_id for span in exporter.get_finished_spans()}
        assert len(traces) == 1


def wait_for_spans(exporter: InMemorySpanExporter, name: str) -> list[ReadableSpan]:
    for _ in range(200):
        if found := [span for span in exporter.get_finished_spans() if span.name == name]:
            return found
        time.sleep(0.01)
    raise AssertionError(f"no span {name!r} ended")
