from collections.abc import MutableMapping
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.websockets import WebSocket

from tradeloop_contracts.telemetry import (
    TelemetryMiddleware,
    TracedTransport,
    capture_spans,
    metrics_app,
    tracer,
)

CALLER_TRACE = "0af7651916cd43dd8448eb211c80319c"
CALLER = f"00-{CALLER_TRACE}-b7ad6b7169203331-01"


def client_of(app: Starlette | FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://app")


async def samples(client: httpx.AsyncClient, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """The samples called `name` in the app's /metrics answer, keyed by their labels."""
    answer = await client.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    return {
        tuple(sorted(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
        if sample.name == name
    }


def starlette_app(service: str) -> Starlette:
    async def position(request: Request) -> JSONResponse:
        return JSONResponse({"id": request.path_params["position_id"]})

    async def broken(_: Request) -> PlainTextResponse:
        raise RuntimeError("boom")

    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text(await websocket.receive_text())
        await websocket.close()

    app = Starlette(
        routes=[
            Route("/v1/positions/{position_id}", position),
            Route("/broken", broken),
            Route("/metrics", metrics_app()),
            WebSocketRoute("/ws", echo),
        ]
    )
    app.add_middleware(TelemetryMiddleware, service=service)
    return app


def fastapi_app(service: str) -> FastAPI:
    app = FastAPI()

    @app.get("/v1/accounts/{account_id}")
    async def account(account_id: str) -> dict[str, str]:
        return {"id": account_id}

    app.router.routes.append(Route("/metrics", metrics_app()))
    app.add_middleware(TelemetryMiddleware, service=service)
    return app


class TestServerSpans:
    async def test_a_request_continues_the_callers_trace_under_its_route_template(self) -> None:
        with capture_spans() as spans:
            async with client_of(starlette_app("edge-bff")) as client:
                answer = await client.get("/v1/positions/p-42", headers={"traceparent": CALLER})

        (span,) = spans.get_finished_spans()
        assert answer.json() == {"id": "p-42"}
        assert span.name == "GET /v1/positions/{position_id}"
        assert span.kind.name == "SERVER"
        assert span.context is not None
        assert format(span.context.trace_id, "032x") == CALLER_TRACE
        assert span.parent is not None
        assert format(span.parent.span_id, "016x") == "b7ad6b7169203331"
        assert span.attributes is not None
        assert span.attributes["http.response.status_code"] == 200
        assert answer.headers["traceparent"].split("-")[1] == CALLER_TRACE

    async def test_a_mounted_route_is_named_under_the_mount_path(self) -> None:
        async def job(request: Request) -> JSONResponse:
            return JSONResponse({"id": request.path_params["job_id"]})

        app = Starlette(routes=[Mount("/internal", routes=[Route("/v1/jobs/{job_id}", job)])])
        app.add_middleware(TelemetryMiddleware, service="workers")
        with capture_spans() as spans:
            async with client_of(app) as client:
                assert (await client.get("/internal/v1/jobs/7")).json() == {"id": "7"}

        assert [span.name for span in spans.get_finished_spans()] == [
            "GET /internal/v1/jobs/{job_id}"
        ]

    async def test_unmatched_paths_share_one_name_and_scrapes_are_not_traced(self) -> None:
        with capture_spans() as spans:
            async with client_of(starlette_app("edge-bff")) as client:
                assert (await client.get("/no/such/page")).status_code == 404
                await client.get("/metrics")

        assert [span.name for span in spans.get_finished_spans()] == ["GET unmatched"]

    async def test_a_failing_handler_gives_an_error_span(self) -> None:
        with capture_spans() as spans:
            async with client_of(starlette_app("edge-bff")) as client:
                with pytest.raises(RuntimeError, match="boom"):
                    await client.get("/broken")

        (span,) = spans.get_finished_spans()
        assert span.status.status_code.name == "ERROR"
        assert span.events[0].name == "exception"

    async def test_websockets_pass_through(self) -> None:
        incoming = [{"type": "websocket.connect"}, {"type": "websocket.receive", "text": "ping"}]
        outgoing: list[MutableMapping[str, Any]] = []

        async def receive() -> MutableMapping[str, Any]:
            return incoming.pop(0)

        async def send(message: MutableMapping[str, Any]) -> None:
            outgoing.append(message)

        scope = {"type": "websocket", "path": "/ws", "headers": [], "query_string": b""}
        with capture_spans() as spans:
            await starlette_app("edge-bff")(scope, receive, send)

        assert [message["type"] for message in outgoing] == [
            "websocket.accept",
            "websocket.send",
            "websocket.close",
        ]
        assert outgoing[1]["text"] == "ping"
        assert spans.get_finished_spans() == ()


class TestRedMetrics:
    async def test_requests_are_counted_and_timed_by_route_template_and_status(self) -> None:
        service = "red-starlette"
        async with client_of(starlette_app(service)) as client:
            for position in ("a", "b", "c"):
                await client.get(f"/v1/positions/{position}")
            await client.get("/nowhere")
            with pytest.raises(RuntimeError):
                await client.get("/broken")
            requests = await samples(client, "http_requests_total")
            durations = await samples(client, "http_request_duration_seconds_count")
            in_flight = await samples(client, "http_requests_in_flight")

        def key(**labels: str) -> tuple[tuple[str, str], ...]:
            return tuple(sorted({"service": service, "method": "GET", **labels}.items()))

        assert requests[key(route="/v1/positions/{position_id}", status="200")] == 3
        assert requests[key(route="unmatched", status="404")] == 1
        assert requests[key(route="/broken", status="500")] == 1
        assert durations[key(route="/v1/positions/{position_id}")] == 3
        assert in_flight[(("service", service),)] == 1  # the scrape itself

    async def test_several_app_instances_in_one_process_share_the_series(self) -> None:
        service = "red-fastapi"
        async with client_of(fastapi_app(service)) as one, client_of(fastapi_app(service)) as two:
            await one.get("/v1/accounts/x")
            await two.get("/v1/accounts/y")
            requests = await samples(two, "http_requests_total")

        labels = {
            "service": service,
            "method": "GET",
            "route": "/v1/accounts/{account_id}",
            "status": "200",
        }
        assert requests[tuple(sorted(labels.items()))] == 2


class TestOutgoingCalls:
    async def test_a_call_carries_a_client_span_of_the_current_trace(self) -> None:
        seen: list[httpx.Request] = []

        def answer(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return httpx.Response(503)

        with capture_spans() as spans:
            transport = TracedTransport(httpx.MockTransport(answer))
            async with httpx.AsyncClient(transport=transport) as client:
                with tracer().start_as_current_span("job") as job:
                    await client.get("http://core-api.internal/internal/v1/imports?secret=x")

        client_span, job_span = spans.get_finished_spans()
        assert client_span.kind.name == "CLIENT"
        assert client_span.status.status_code.name == "ERROR"
        assert client_span.parent is not None
        assert client_span.parent.span_id == job.get_span_context().span_id
        assert client_span.context is not None
        _, trace_id, span_id, _ = seen[0].headers["traceparent"].split("-")
        assert trace_id == format(job_span.context.trace_id, "032x")
        assert span_id == format(client_span.context.span_id, "016x")
        assert "secret" not in str(client_span.attributes)
