"""Liveness and readiness probes, and the metrics scrape."""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import sqlite3

import httpx
from redis.exceptions import RedisError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from tradeloop_contracts.telemetry import metrics_response

from .errors import problem_response
from .identity import bearer_token
from .runtime import runtime_of

_PROBE_TIMEOUT_SECONDS = 2.0


async def healthz(_request: Request) -> Response:
    """The process is alive."""
    return JSONResponse({"status": "ok"})


async def _answers(client: httpx.AsyncClient) -> bool:
    try:
        response = await client.get("/healthz", timeout=_PROBE_TIMEOUT_SECONDS)
    except httpx.HTTPError:
        return False
    return response.status_code == 200


async def readyz(request: Request) -> Response:
    """Core, web-ui and the session store answer (503 naming those that do not)."""
    runtime = runtime_of(request)
    core, web = await asyncio.gather(
        _answers(runtime.upstreams.core), _answers(runtime.upstreams.web)
    )
    try:
        await asyncio.wait_for(runtime.sessions.store.ping(), _PROBE_TIMEOUT_SECONDS)
        store = True
    except (sqlite3.Error, RedisError, OSError, TimeoutError):
        store = False
    checks = {"core": core, "web": web, "sessions": store}
    failing = [name for name, ok in checks.items() if not ok]
    return JSONResponse(
        {"status": "ok" if not failing else "unavailable", "failing": failing},
        status_code=200 if not failing else 503,
    )


def _from_loopback(request: Request) -> bool:
    host = request.client.host if request.client is not None else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def metrics(request: Request) -> Response:
    """Prometheus text for a scraper holding EDGE_METRICS_TOKEN, or on loopback when unset.

    Anyone else gets 404: the edge is public, and its series name routes and load.
    """
    expected = runtime_of(request).settings.metrics_token
    if expected is None:
        allowed = _from_loopback(request)
    else:
        offered = bearer_token(request) or ""
        allowed = hmac.compare_digest(offered.encode(), expected.get_secret_value().encode())
    if not allowed:
        return problem_response(404)
    body, content_type = metrics_response()
    return Response(body, media_type=content_type)


routes = [
    Route("/healthz", healthz, methods=["GET"]),
    Route("/readyz", readyz, methods=["GET"]),
    Route("/metrics", metrics, methods=["GET"]),
]
