"""The REST API: proxied to core and ai-coach, plus the aggregated dashboard."""

from __future__ import annotations

import asyncio
from typing import TypeVar
from urllib.parse import urlencode

import httpx
from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from tradeloop_contracts import Dashboard, DashboardPart, InsightList, PositionPage, Statistics

from .auth import end_browser_session, end_other_sessions
from .bodies import is_json
from .errors import AppError
from .runtime import backend_headers, runtime_of
from .upstreams import filtered_headers, forward

# Set by the edge itself, never taken from the caller.
_DROPPED_REQUEST_HEADERS = frozenset(
    {
        "host",
        "cookie",
        "authorization",
        "x-csrf-token",
        "x-request-id",
        "traceparent",
        "x-forwarded-for",
    }
)
# Core routes a caller may reach without an access token.
_PUBLIC_CORE_ROUTES = frozenset({("POST", "auth/refresh")})

ModelT = TypeVar("ModelT", bound=BaseModel)


async def _proxy(request: Request, backend: str, path: str) -> Response:
    runtime = runtime_of(request)
    client = runtime.upstreams.coach if backend == "coach" else runtime.upstreams.core
    headers = filtered_headers(
        request.headers.items(),
        connection=request.headers.get("connection", ""),
        drop=_DROPPED_REQUEST_HEADERS,
    )
    headers += backend_headers(request)
    if backend == "coach" or (request.method, path) not in _PUBLIC_CORE_ROUTES:
        credentials = await runtime.authenticator.require(request)
        headers.append(("authorization", f"Bearer {credentials.access_token}"))
    return await forward(
        request,
        client,
        f"/v1/{path}",
        headers=headers,
        max_body_bytes=runtime.settings.max_json_bytes
        if is_json(request.headers.get("content-type", ""))
        else runtime.settings.max_upload_bytes,
        relay_set_cookie=False,
    )


async def proxy_core(request: Request) -> Response:
    """Any other `/api/v1/...` route: core's `/v1/...` as the acting user."""
    path = request.path_params["path"]
    response = await _proxy(request, "core", path)
    if (request.method, path) == ("DELETE", "me") and response.status_code == 204:
        # The trader is gone: so are their session and its sockets.
        await end_browser_session(request)
    if (request.method, path) == ("POST", "auth/password") and response.status_code == 204:
        rotated = await end_other_sessions(request)
        if rotated is not None:
            # The new session id needs its own CSRF token.
            response.headers["x-csrf-token"] = runtime_of(request).csrf.token_for(rotated)
    return response


async def proxy_coach(request: Request) -> Response:
    """`/api/v1/coach/...`: ai-coach's `/v1/...` as the acting user."""
    return await _proxy(request, "coach", request.path_params["path"])


async def _fetch(
    client: httpx.AsyncClient,
    path: str,
    model: type[ModelT],
    headers: list[tuple[str, str]],
    timeout: float,
    *,
    chosen_account: bool = False,
) -> ModelT | None:
    """The backend's answer, or None when it fails or is late. With `chosen_account` a 404
    is core's answer for an account that is not the trader's: the whole request's answer."""
    try:
        async with asyncio.timeout(timeout):
            response = await client.get(path, headers=headers)
        if chosen_account and response.status_code == 404:
            raise AppError(404, "No such account.")
        response.raise_for_status()
        return model.model_validate_json(response.content)
    except (TimeoutError, httpx.HTTPError, ValidationError):
        return None


# The dashboard's period and account choice, passed on to core.
_DASHBOARD_FILTERS = ("start", "end", "account_id")


async def dashboard(request: Request) -> Response:
    """Statistics, the latest positions and insights, fetched concurrently."""
    runtime = runtime_of(request)
    filters = [(k, v) for k in _DASHBOARD_FILTERS if (v := request.query_params.get(k))]
    period = urlencode(filters)
    recent = urlencode([("limit", "10"), *[(k, v) for k, v in filters if k == "account_id"]])
    credentials = await runtime.authenticator.require(request)
    headers = [*backend_headers(request), ("authorization", f"Bearer {credentials.access_token}")]
    timeout = runtime.settings.dashboard_timeout_seconds
    core, coach = runtime.upstreams.core, runtime.upstreams.coach
    chosen = any(k == "account_id" for k, _ in filters)
    statistics, positions, insights = await asyncio.gather(
        _fetch(
            core, f"/v1/statistics?{period}", Statistics, headers, timeout, chosen_account=chosen
        ),
        _fetch(
            core, f"/v1/positions?{recent}", PositionPage, headers, timeout, chosen_account=chosen
        ),
        _fetch(coach, "/v1/insights", InsightList, headers, timeout),
    )
    parts: dict[DashboardPart, BaseModel | None] = {
        "statistics": statistics,
        "positions": positions,
        "insights": insights,
    }
    body = Dashboard(
        statistics=statistics,
        positions=positions,
        insights=insights,
        partial=[name for name, value in parts.items() if value is None],
    )
    return JSONResponse(body.model_dump(mode="json"))


routes = [
    Route("/api/v1/dashboard", dashboard, methods=["GET"]),
    Route(
        "/api/v1/coach/{path:path}",
        proxy_coach,
        methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
    ),
    Route(
        "/api/v1/{path:path}",
        proxy_core,
        methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
    ),
]
