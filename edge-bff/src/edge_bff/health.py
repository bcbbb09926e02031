"""Liveness and readiness probes."""

from __future__ import annotations

import asyncio
import sqlite3

import httpx
from redis.exceptions import RedisError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

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


routes = [Route("/healthz", healthz, methods=["GET"]), Route("/readyz", readyz, methods=["GET"])]
