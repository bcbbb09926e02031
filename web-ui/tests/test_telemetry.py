import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from prometheus_client.parser import text_string_to_metric_families
from tradeloop_contracts import Problem
from tradeloop_contracts.telemetry import capture_spans

from tests.conftest import SESSION_COOKIE
from tests.factories import a_journal_page, a_position, a_user
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


def wait_for_spans(exporter: InMemorySpanExporter, name: str) -> list[ReadableSpan]:
    for _ in range(200):
        if found := [span for span in exporter.get_finished_spans() if span.name == name]:
            return found
        time.sleep(0.01)
    raise AssertionError(f"no span {name!r} ended")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def served_web_ui(stub: tuple[StubEdge, str]) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`web-ui serve` in its own process at DEBUG level, in front of the stub edge."""
    port = free_port()
    env = {
        **os.environ,
        "WEB_PORT": str(port),
        "WEB_EDGE_URL": stub[1],
        "WEB_LOG_LEVEL": "debug",
        "WEB_TRACES_EXPORTER": "none",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "web_ui", "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                httpx.get(f"{url}/healthz")
                break
            except httpx.TransportError:
                time.sleep(0.05)
        yield url, process
    finally:
        process.terminate()
        process.wait(timeout=10)


class TestLogs:
    def test_log_lines_are_json_with_trace_and_trader_and_never_a_secret(
        self, served_web_ui: tuple[str, subprocess.Popen[str]], edge: StubEdge
    ) -> None:
        url, process = served_web_ui
        user = a_user()
        edge.answer("GET", "/api/v1/me", user)
        position_id = serve_position(edge)
        edge.refuse("POST", "/api/v1/auth/login", Problem(title="Wrong credentials", status=401))
        planted = {
            "session": "planted-session-id-7f3a",
            "csrf": "planted-csrf-9c1e",
            "password": "planted-password-5d2b",
            "token": "tlp_plantedapitoken0123456789",
            "key": "planted-broker-secret-8a4c",
        }
        headers = {
            "cookie": f"__Host-tradeloop_session={planted['session']}",
            "x-csrf-token": planted["csrf"],
            "accept": "text/html",
        }
        with httpx.Client(base_url=url, headers=headers) as client:
            assert client.get(f"/positions/{position_id}").status_code == 200
            client.get(f"/trades?symbol=AAPL&token={planted['token']}")
            client.post(
                "/login",
                data={"email": "trader@example.com", "password": planted["password"]},
                headers={"hx-request": "true"},
            )
            client.post(
                "/settings/brokers",
                data={"name": "Alpaca", "api_key_id": "AKID", "api_secret": planted["key"]},
                headers={"hx-request": "true"},
            )
        process.terminate()
        output, _ = process.communicate(timeout=10)

        lines = [json.loads(line) for line in output.splitlines() if line.strip()]
        assert {line["service"] for line in lines} == {"web-ui"}
        page_lines = [line for line in lines if f"/positions/{position_id}" in line["message"]]
        assert any(
            line["user_id"] == str(user.id) and line["trace_id"] is not None for line in page_lines
        ), page_lines
        for name, secret in planted.items():
            assert secret not in output, f"the {name} reached the log"
        assert SESSION_COOKIE.split("=")[1] not in output
