"""Logs, traces and metrics of the real app, with core and the model as stand-ins."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from tradeloop_contracts.telemetry import capture_spans

from ai_coach.app import create_app
from ai_coach.config import Settings
from tests.factories import START, positions_of, trade
from tests.stub_core import CLIENT_SECRET, StubCore, serve
from tests.stub_llm import SERVER_ERROR, Scripted, StubLlm, text_reply, tool_call_reply

API_KEY = "sk-planted-llm-key-4242"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN_ID = "00f067aa0ba902b7"
MODEL = "gpt-4o-mini"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def trader(core: StubCore) -> uuid.UUID:
    """Two NQ trades (+100, -40) in January 2026."""
    user_id = uuid.uuid4()
    trades = [
        dataclasses.replace(trade(pnl, 600, START + dt.timedelta(days=day)), symbol="NQ")
        for pnl, day in (("100.00", 0), ("-40.00", 1))
    ]
    core.positions[user_id] = positions_of(trades)
    return user_id


def sample(metrics: str, name: str, labels: dict[str, str]) -> float:
    """The value of the series `name` with exactly `labels` (0 when absent)."""
    for family in text_string_to_metric_families(metrics):
        for item in family.samples:
            if item.name == name and item.labels == labels:
                return item.value
    return 0.0


def ended_server_span(exporter: InMemorySpanExporter, name: str) -> ReadableSpan:
    """The request's server span, waited for: uvicorn ends it only after the client has
    read the response, and it ends after every span inside it."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if found := [s for s in exporter.get_finished_spans() if s.name == name]:
            [span] = found
            return span
        time.sleep(0.01)
    raise AssertionError(f"no span {name!r} ended")


def grounded_chat(llm: StubLlm) -> None:
    """Script the model to ask the analytics once, then answer with its numbers."""
    llm.script += [
        Scripted(tool_call_reply({"metrics": ["net_pnl"], "symbols": ["NQ"]})),
        Scripted(text_reply("On NQ you made 60.00 USD.")),
    ]


@pytest.fixture
def llm() -> StubLlm:
    return StubLlm()


@pytest.fixture
def model_settings(settings: Settings, llm: StubLlm) -> Iterator[Settings]:
    with serve(llm.app()) as llm_url:
        yield settings.model_copy(
            update={
                "llm_base_url": f"{llm_url}/v1",
                "llm_model": MODEL,
                "llm_api_key": SecretStr(API_KEY),
            }
        )


@pytest.fixture
def coach_with_llm(model_settings: Settings) -> Iterator[httpx.Client]:
    with (
        serve(create_app(model_settings)) as url,
        httpx.Client(base_url=url, timeout=30) as client,
    ):
        yield client


class TestMetrics:
    def test_requests_are_counted_and_timed_by_route_template(
        self, coach: httpx.Client, core: StubCore
    ) -> None:
        labels = {"service": "ai-coach", "method": "GET", "route": "/v1/insights"}
        before = coach.get("/metrics").text
        token = core.user_token(trader(core))

        coach.get("/v1/insights", headers=bearer(token))
        coach.get("/v1/insights", headers=bearer(token))
        coach.get("/v1/insights")
        metrics = coach.get("/metrics")

        assert metrics.headers["content-type"].startswith("text/plain")
        for status, added in (("200", 2), ("401", 1)):
            series = {**labels, "status": status}
            assert sample(metrics.text, "http_requests_total", series) == (
                sample(before, "http_requests_total", series) + added
            )
        assert sample(metrics.text, "http_request_duration_seconds_count", labels) >= 2

    def test_each_use_of_the_model_is_counted_by_outcome_and_timed(
        self, coach_with_llm: httpx.Client, core: StubCore, llm: StubLlm
    ) -> None:
        before = coach_with_llm.get("/metrics").text
        token = core.user_token(trader(core))
        grounded_chat(llm)
        llm.script += [
            Scripted(tool_call_reply({"metrics": ["net_pnl"]})),
            Scripted(text_reply("You made 60.00 USD, about 31.50 per trade.")),
            *[Scripted(SERVER_ERROR, status=503)] * 3,
        ]

        for _ in range(3):
            coach_with_llm.post("/v1/chat", json={"message": "NQ?"}, headers=bearer(token))
        metrics = coach_with_llm.get("/metrics").text

        def added(name: str, labels: dict[str, str]) -> float:
            return sample(metrics, name, labels) - sample(before, name, labels)

        for outcome in ("ok", "rejected_numbers", "server_error"):
            counted = added("llm_requests_total", {"model": MODEL, "outcome": outcome})
            assert counted == 1, outcome
        assert added("llm_request_duration_seconds_count", {"model": MODEL}) == 3

    def test_a_trader_over_the_daily_budget_is_counted_without_calling_the_model(
        self, model_settings: Settings, core: StubCore, llm: StubLlm
    ) -> None:
        broke = model_settings.model_copy(update={"llm_daily_tokens_per_user": 0})
        labels = {"model": MODEL, "outcome": "budget"}
        with serve(create_app(broke)) as url, httpx.Client(base_url=url, timeout=30) as coach:
            before = sample(coach.get("/metrics").text, "llm_requests_total", labels)
            token = core.user_token(trader(core))
            coach.post("/v1/chat", json={"message": "P&L in 2026"}, headers=bearer(token))
            after = sample(coach.get("/metrics").text, "llm_requests_total", labels)
        assert after == before + 1
        assert llm.requests == []


class TestTracing:
    def test_a_request_continues_the_callers_trace_into_core_and_the_model(
        self, coach_with_llm: httpx.Client, core: StubCore, llm: StubLlm
    ) -> None:
        token = core.user_token(trader(core))
        grounded_chat(llm)

        with capture_spans("ai-coach") as exporter:
            response = coach_with_llm.post(
                "/v1/chat",
                json={"message": "NQ?"},
                headers={
                    **bearer(token),
                    "traceparent": f"00-{TRACE_ID}-{CALLER_SPAN_ID}-01",
                },
            )
            server = ended_server_span(exporter, "POST /v1/chat")

        assert response.json()["llm_used"] is True
        assert response.headers["traceparent"].startswith(f"00-{TRACE_ID}-")
        spans = [s for s in exporter.get_finished_spans() if s.context is not None]
        assert server.kind is SpanKind.SERVER
        assert server.context is not None
        assert server.parent is not None
        assert f"{server.context.trace_id:032x}" == TRACE_ID
        assert f"{server.parent.span_id:016x}" == CALLER_SPAN_ID
        calls = [s for s in spans if s.kind is SpanKind.CLIENT]
        paths = {str(s.attributes["url.path"]) for s in calls if s.attributes}
        assert "/v1/chat/completions" in paths
        assert any(path.startswith("/internal/users/") for path in paths)
        assert all(s.context is not None and s.context.trace_id == int(TRACE_ID, 16) for s in calls)
        sent = [headers.get("traceparent", "") for _, headers in llm.requests]
        # The keys come from a synchronous client in a worker thread, outside the trace.
        sent += [header or "" for path, header in core.traceparents if "jwks" not in path]
        assert len(sent) >= 4
        assert all(header.startswith(f"00-{TRACE_ID}-") for header in sent)

    def test_readiness_probes_are_not_traced(self, coach: httpx.Client) -> None:
        with capture_spans("ai-coach") as exporter:
            assert coach.get("/readyz").status_code == 200
        assert exporter.get_finished_spans() == ()


class TestLogs:
    def test_lines_name_the_trader_and_trace_and_never_carry_a_secret(
        self, model_settings: Settings, core: StubCore, llm: StubLlm, log_stream: io.StringIO
    ) -> None:
        # `log_stream` last: the stand-ins' servers configure their own logging first.
        user_id = trader(core)
        token = core.user_token(user_id)
        llm.script += [Scripted(SERVER_ERROR, status=503)] * 3
        with (
            serve(create_app(model_settings), logged=True) as url,
            httpx.Client(base_url=url, timeout=30) as coach,
        ):
            # The key and the client secret travel with every model and token call; a
            # careless client also puts a secret in the query string.
            coach.post(
                "/v1/chat",
                params={"time_zone": "UTC", "api_key": API_KEY},
                json={"message": "P&L in 2026"},
                headers=bearer(token),
            )
            coach.get("/v1/insights", headers=bearer(token))

        output = log_stream.getvalue()
        lines: list[dict[str, Any]] = [json.loads(line) for line in output.splitlines()]
        for planted in (API_KEY, CLIENT_SECRET, token, *core.service_tokens):
            assert planted not in output
        failed = [line for line in lines if "the model failed" in line["message"]]
        assert failed, "the model's failure is logged"
        assert all(line["service"] == "ai-coach" for line in lines)
        assert failed[0]["user_id"] == str(user_id)
        assert failed[0]["trace_id"] is not None
        assert any("POST /v1/chat" in line["message"] for line in lines), "access lines"

    def test_an_unhandled_error_is_logged_in_its_trace_and_answered_with_a_problem(
        self, settings: Settings, log_stream: io.StringIO
    ) -> None:
        app = create_app(settings)

        @app.get("/v1/fails")
        async def fails() -> None:
            raise RuntimeError("a bug")

        with (
            serve(app) as url,
            httpx.Client(base_url=url, timeout=30) as coach,
            capture_spans("ai-coach") as exporter,
        ):
            response = coach.get("/v1/fails")
            server = ended_server_span(exporter, "GET /v1/fails")

        assert response.status_code == 500
        assert response.headers["content-type"] == "application/problem+json"
        assert "a bug" not in response.text
        trace_id = response.headers["traceparent"].split("-")[1]
        assert server.context is not None
        assert f"{server.context.trace_id:032x}" == trace_id
        lines = [json.loads(line) for line in log_stream.getvalue().splitlines()]
        [logged] = [line for line in lines if line["message"] == "unhandled error on /v1/fails"]
        assert logged["trace_id"] == trace_id
        assert "RuntimeError: a bug" in logged["exc_info"]
