"""The web-ui application: pages, fragments, static files and error pages."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.routing import Route
from tradeloop_contracts import ProblemField
from tradeloop_contracts.telemetry import TelemetryMiddleware, TracedTransport, metrics_app

from web_ui import (
    account_money,
    archive,
    attachments,
    auth,
    brokers,
    coach,
    dashboard,
    fee_schedule,
    health,
    import_mapping,
    imports,
    journal,
    manual_entry,
    plan,
    playbooks,
    positions,
    settings_pages,
    strategies,
    trade_tags,
    trades,
)
from web_ui.config import WebSettings
from web_ui.edge import (
    EdgeClient,
    EdgeNotFoundError,
    EdgeProblemError,
    EdgeUnauthorizedError,
    EdgeUnavailableError,
)
from web_ui.rendering import PACKAGE_DIR, error_response

SERVICE_NAME = "web-ui"
logger = logging.getLogger("web_ui")


async def _unauthorized(request: Request, _exc: Exception) -> Response:
    if request.headers.get("hx-request") == "true":
        return Response(status_code=204, headers={"hx-redirect": "/login"})
    return RedirectResponse("/login", status_code=303)


async def _not_found(request: Request, _exc: Exception) -> Response:
    return error_response(
        request, 404, "Not found", "There is nothing at this address, or it is not yours."
    )


async def _unavailable(request: Request, exc: Exception) -> Response:
    logger.warning("edge unavailable: %s", exc)
    return error_response(
        request,
        502,
        "Tradeloop is not answering",
        "The service behind this page did not answer. Try again in a moment.",
    )


async def _refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, EdgeProblemError)
    problem = exc.problem
    return error_response(request, problem.status, problem.title, problem.detail, problem.errors)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return await _not_found(request, exc)
    return error_response(request, exc.status_code, str(exc.detail))


async def _invalid_request(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [
        ProblemField(
            location=".".join(str(part) for part in error["loc"]),
            message=str(error["msg"]),
        )
        for error in exc.errors()
    ]
    if any(error.location.startswith("path") for error in errors):
        # A malformed id in an address names nothing: the same page as an unknown id.
        return await _not_found(request, exc)
    return error_response(request, 422, "Invalid request", "Some input is not valid.", errors)


async def _internal_error(request: Request, exc: Exception) -> Response:
    # Logged here, inside the request's span, so the line carries its trace id; the browser
    # gets a page, never a traceback.
    logger.error("unexpected error answering %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(
        request, 500, "Something went wrong", "This page could not be shown. Try again later."
    )


def create_app(settings: WebSettings | None = None) -> FastAPI:
    """The web-ui ASGI application, calling edge at `settings.edge_url`."""
    settings = settings or WebSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with (
            httpx.AsyncClient(
                base_url=settings.edge_base_url,
                timeout=settings.edge_timeout_seconds,
                follow_redirects=False,
                # Each call to edge is a span of the page's trace and carries its traceparent.
                transport=TracedTransport(),
            ) as http,
            # Readiness probes are not traced, as /readyz itself is not: a root trace per
            # probe would drown the real ones.
            httpx.AsyncClient(base_url=settings.edge_base_url, follow_redirects=False) as probe,
        ):
            app.state.edge = EdgeClient(http, settings.upload_timeout_seconds, probe)
            yield

    app = FastAPI(
        title="Tradeloop web-ui",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        # The contracts middleware below is the one source of spans and RED series, the
        # same in every service; FastAPI's own would double each request's server span.
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
    )
    app.state.settings = settings
    app.add_exception_handler(EdgeUnauthorizedError, _unauthorized)
    app.add_exception_handler(EdgeNotFoundError, _not_found)
    app.add_exception_handler(EdgeUnavailableError, _unavailable)
    app.add_exception_handler(EdgeProblemError, _refused)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    for router in (
        health.router,
        auth.router,
        dashboard.router,
        positions.router,
        account_money.router,
        fee_schedule.router,
        import_mapping.router,
        imports.router,
        trades.router,
        manual_entry.router,
        strategies.router,
        trade_tags.router,
        journal.router,
        plan.router,
        playbooks.router,
        coach.router,
        settings_pages.router,
        brokers.router,
        attachments.router,
        archive.router,
    ):
        app.include_router(router)
    app.router.routes.append(Route("/metrics", metrics_app()))
    app.mount("/static", StaticFiles(directory=PACKAGE_DIR / "static"), name="static")
    # The 500 page is rendered inside the telemetry middleware (Starlette's own error
    # middleware sits outside every added one), so it is traced, measured and answered with
    # its traceparent like any page.
    app.add_middleware(ServerErrorMiddleware, handler=_internal_error)
    # Added last, so it is the outermost of the added middleware.
    app.add_middleware(TelemetryMiddleware, service=SERVICE_NAME)
    return app
