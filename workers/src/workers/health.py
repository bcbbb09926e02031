"""The health server: liveness, readiness and the metrics of the worker process."""

from __future__ import annotations

import asyncio

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from tradeloop_contracts import PROBLEM_CONTENT_TYPE, Problem, ProblemField
from tradeloop_contracts.bus import Bus
from tradeloop_contracts.telemetry import TelemetryMiddleware, metrics_app

from .core import CoreClient
from .telemetry import SERVICE, untraced

CONSUMER_GROUP = "workers"
PROBE_SECONDS = 2.0


def create_health_app(core: CoreClient, bus: Bus) -> Starlette:
    """The Starlette app serving `/healthz`, `/readyz` and `/metrics` (Prometheus)."""

    async def healthz(_: Request) -> JSONResponse:
        """The process is alive."""
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> JSONResponse:
        """Core answers and the bus is reachable."""
        with untraced():  # probes come every few seconds
            core_ok, bus_ok = await asyncio.gather(_core_answers(core), _bus_answers(bus))
        failures = []
        if not core_ok:
            failures.append(ProblemField(location="core", message="core does not answer"))
        if not bus_ok:
            failures.append(ProblemField(location="bus", message="the bus is not reachable"))
        if not failures:
            return JSONResponse({"status": "ready", "checks": {"core": "ok", "bus": "ok"}})
        problem = Problem(title="Not ready", status=503, errors=failures)
        return JSONResponse(
            problem.model_dump(mode="json", exclude_none=True),
            status_code=503,
            media_type=PROBLEM_CONTENT_TYPE,
        )

    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics_app()),
        ]
    )
    app.add_middleware(TelemetryMiddleware, service=SERVICE)
    return app


async def _core_answers(core: CoreClient) -> bool:
    try:
        return await asyncio.wait_for(core.is_healthy(), PROBE_SECONDS)
    except TimeoutError:
        return False


async def _bus_answers(bus: Bus) -> bool:
    # Listing the group's dead letters is the cheapest read every bus backend offers.
    try:
        await asyncio.wait_for(bus.dead_letters(CONSUMER_GROUP), PROBE_SECONDS)
    except Exception:
        return False
    return True
