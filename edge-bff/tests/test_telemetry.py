from __future__ import annotations

import io
import json
import logging
import re
import uuid
from collections.abc import Iterator

import pytest
from opentelemetry.trace import SpanKind
from pydantic import SecretStr
from starlette.testclient import TestClient
from tradeloop_contracts import Event, ImportFailed, UserEventData, make_event
from tradeloop_contracts.telemetry import REGISTRY, capture_spans, configure_logging

from edge_bff.config import Settings
from edge_bff.telemetry import traces_url

from .conftest import Browser, FakeBus, FakeClock, make_client
from .stubs import PASSWORD, CoreStub

METRICS_TOKEN = "scrape-" + "m" * 32


@pytest.fixture
def scraped_client(settings: Settings, clock: FakeClock, bus: FakeBus) -> Iterator[TestClient]:
    with_token = settings.model_copy(update={"metrics_token": SecretStr(METRICS_TOKEN)})
    with make_client(with_token, clock, bus) as client:
        yield client


def _scrape(client: TestClient) -> str:
    response = client.get("/metrics", headers={"authorization": f"Bearer {METRICS_TOKEN}"})
    assert response.status_code == 200
    return str(response.text)


def _sample(name: str, **labels: str) -> float:
    value = REGISTRY.get_sample_value(name, labels)
    return 0.0 if value is None else value


def _failed_import(user_id: str) -> Event[UserEventData]:
    return make_event(
        "import.failed.v1",
        ImportFailed(user_id=uuid.UUID(user_id), import_id=uuid.uuid4(), reason="bad file"),
        source="/core-api",
    )


class TestMetrics:
    def test_red_series_per_route_template_appear_after_requests(
        self, scraped_client: TestClient, core: CoreStub, user: tuple[str, str]
    ) -> None:
        bearer = {"authorization": f"Bearer {core.issuer.sign(user[1])}"}
        scraped_client.get(f"/api/v1/positions/{uuid.uuid4()}", headers=bearer)
        scraped_client.get("/api/v1/nothing-here")  # 401: errors are counted too

        text = _scrape(scraped_client)

        route = 'route="/api/v1/{path:path}"'
        assert re.search(
            rf'http_requests_total{{method="GET",{route},service="edge-bff",status="200"}} [1-9]',
            text,
        )
        assert re.search(
            rf'http_requests_total{{method="GET",{route},service="edge-bff",status="401"}} [1-9]',
            text,
        )
        assert f'http_request_duration_seconds_bucket{{le="0.005",method="GET",{route}' in text
        assert 'http_requests_in_flight{service="edge-bff"}' in text

    def test_open_sockets_are_counted_while_open(
        self, scraped_client: TestClient, core: CoreStub, user: tuple[str, str]
    ) -> None:
        before = _sample("ws_connections", service="edge-bff")
        bearer = {"authorization": f"Bearer {core.issuer.sign(user[1])}"}

        with scraped_client.websocket_connect("/ws", headers=bearer) as socket:
            assert json.loads(socket.receive_text()) == {"type": "heartbeat"}
            during = _sample("ws_connections", service="edge-bff")
            text = _scrape(scraped_client)

        assert during == before + 1
        assert 'ws_connections{service="edge-bff"}' in text
        assert 'ws_send_queue_drops_total{service="edge-bff"}' in text
        assert _sample("ws_connections", service="edge-bff") == before

    def test_a_client_that_falls_behind_is_dropped_and_counted(
        self, client: TestClient, core: CoreStub, bus: FakeBus, user: tuple[str, str]
    ) -> None:
        before = _sample("ws_send_queue_drops_total", service="edge-bff")
        bearer = {"authorization": f"Bearer {core.issuer.sign(user[1])}"}

        with client.websocket_connect("/ws", headers=bearer) as socket:
            assert json.loads(socket.receive_text()) == {"type": "heartbeat"}
            # Read in one go, they reach the socket's queue (5 places) before it drains.
            bus.publish_together([_failed_import(user[1]) for _ in range(20)])
            # At most the 5 queued events and a heartbeat come before the close.
            for _ in range(10):
                message = socket.receive()
                if message["type"] == "websocket.close":
                    break

        assert message["type"] == "websocket.close"
        assert message["code"] == 1013
        assert _sample("ws_send_queue_drops_total", service="edge-bff") == before + 1

    def test_metrics_need_the_scrape_token(self, scraped_client: TestClient) -> None:
        assert scraped_client.get("/metrics").status_code == 404
        wrong = {"authorization": "Bearer not-the-token"}
        assert scraped_client.get("/metrics", headers=wrong).status_code == 404

    def test_without_a_token_only_loopback_may_scrape(self, client: TestClient) -> None:
        # The test client's address is "testclient", not a loopback address.
        assert client.get("/metrics").status_code == 404


class TestTraces:
    def test_a_request_continues_the_callers_trace_and_core_gets_the_same_trace(
        self, client: TestClient, core: CoreStub, user: tuple[str, str]
    ) -> None:
        trace_id, caller_span = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
        headers = {
            "authorization": f"Bearer {core.issuer.sign(user[1])}",
            "traceparent": f"00-{trace_id}-{caller_span}-01",
        }
        with capture_spans("edge-bff") as exporter:
            response = client.get("/api/v1/journal/entries", headers=headers)

        spans = exporter.get_finished_spans()
        server = next(span for span in spans if span.kind == SpanKind.SERVER)
        clients = [span for span in spans if span.kind == SpanKind.CLIENT]
        _, core_trace_id, core_parent, _ = response.json()["headers"]["traceparent"].split("-")
        assert server.name == "GET /api/v1/{path:path}"
        assert format(server.context.trace_id, "032x") == trace_id
        assert server.parent is not None
        assert format(server.parent.span_id, "016x") == caller_span
        assert core_trace_id == trace_id
        # Core's parent is the edge's CLIENT span for that call, itself a child of the request.
        call = next(span for span in clients if format(span.context.span_id, "016x") == core_parent)
        assert call.parent is not None
        assert call.parent.span_id == server.context.span_id
        assert response.headers["traceparent"].split("-")[1] == trace_id

    def test_an_otlp_base_url_gets_the_traces_path(self) -> None:
        assert traces_url("http://collector:4318") == "http://collector:4318/v1/traces"
        assert traces_url("http://collector:4318/v1/traces") == "http://collector:4318/v1/traces"
        assert traces_url(None) is None


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    stream = io.StringIO()
    configure_logging("edge-bff", level="DEBUG", stream=stream)
    yield stream
    for handler in root.handlers[:]:
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


class TestLogs:
    def test_log_lines_are_json_with_trace_and_user_ids_and_never_a_secret(
        self, client: TestClient, core: CoreStub, user: tuple[str, str], log_lines: io.StringIO
    ) -> None:
        browser = Browser(client)
        access_token = core.issuer.sign(user[1])
        api_token = core.add_api_token(user[1])
        with capture_spans("edge-bff"):
            browser.log_in(user[0])
            session_id, csrf_token = browser.session_id, browser.csrf_token
            refresh_tokens = [t for t, owner in core.refresh_tokens.items() if owner == user[1]]
            client.get("/api/v1/positions", headers={"authorization": f"Bearer {access_token}"})
            client.get("/api/v1/positions", headers={"authorization": f"Bearer {api_token}"})
            browser.request("POST", "/api/v1/auth/logout")

        output = log_lines.getvalue()
        lines = [json.loads(line) for line in output.splitlines()]
        login = next(line for line in lines if line["message"] == "logged in; new session")
        assert login["service"] == "edge-bff"
        assert login["user_id"] == user[1]
        assert re.fullmatch(r"[0-9a-f]{32}", login["trace_id"])
        planted = [PASSWORD, access_token, api_token, session_id, csrf_token, *refresh_tokens]
        assert all(secret and secret not in output for secret in planted)
