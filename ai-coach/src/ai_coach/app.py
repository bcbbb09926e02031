"""The ai-coach application: routes, error handling and the clients it holds."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.routing import Route
from tradeloop_contracts.telemetry import TelemetryMiddleware, TracedTransport, metrics_app

from ai_coach.analytics.endpoints import router as analytics_router
from ai_coach.auth import JwksVerifier, PersonalTokenChecker
from ai_coach.chat.endpoints import router as chat_router
from ai_coach.chat.service import ChatModel, LlmSettings
from ai_coach.config import Settings
from ai_coach.core import CoreClient
from ai_coach.errors import install_error_handlers, problem_response, unexpected_error
from ai_coach.insights.endpoints import router as insights_router
from ai_coach.insights.service import CoachService
from ai_coach.llm.budget import DailyBudget, Prices
from ai_coach.llm.client import LlmClient
from ai_coach.reflections.endpoints import router as reflections_router
from ai_coach.reviews.endpoints import internal_router as internal_reviews_router
from ai_coach.reviews.endpoints import router as reviews_router
from ai_coach.reviews.publishing import ReviewNarrator

SERVICE_NAME = "ai-coach"


@dataclass(frozen=True)
class ModelUsers:
    """What uses the language model; both None when none is configured."""

    chat: ChatModel | None = None
    reviews: ReviewNarrator | None = None


@asynccontextmanager
async def _model_users(settings: Settings) -> AsyncIterator[ModelUsers]:
    """The chat and review narration on the model when LLM_BASE_URL is set (one budget)."""
    if not settings.llm_base_url:
        yield ModelUsers()
        return
    base_url = settings.llm_base_url.rstrip("/") + "/"
    timeout = httpx.Timeout(settings.llm_timeout_seconds)
    # Each call to the model is a span of the request's trace and carries its traceparent.
    async with httpx.AsyncClient(
        base_url=base_url, timeout=timeout, transport=TracedTransport()
    ) as http:
        client = LlmClient(
            http, settings.llm_model, settings.llm_api_key, attempts=settings.llm_attempts
        )
        budget = DailyBudget(
            settings.llm_daily_tokens_per_user,
            settings.llm_daily_cost_per_user,
            Prices(
                settings.llm_prompt_price_per_1k_tokens,
                settings.llm_completion_price_per_1k_tokens,
            ),
        )
        limits = LlmSettings(
            settings.llm_max_tokens_per_request, settings.llm_max_completion_tokens
        )
        yield ModelUsers(
            chat=ChatModel(client, budget, limits),
            reviews=ReviewNarrator(client, budget, settings.llm_max_completion_tokens),
        )


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app; clients to core and the JWKS open at startup and close at shutdown."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        timeout = httpx.Timeout(settings.core_timeout_seconds)
        # The JWKS client is synchronous: keys are fetched in worker threads.
        with httpx.Client(timeout=timeout) as jwks_http:
            async with (
                httpx.AsyncClient(
                    base_url=settings.core_url, timeout=timeout, transport=TracedTransport()
                ) as core_http,
                # Readiness probes are not traced, as /readyz itself is not: a root trace
                # per probe would drown the real ones.
                httpx.AsyncClient(base_url=settings.core_url, timeout=timeout) as probe,
            ):
                core = CoreClient(
                    core_http,
                    settings.core_client_id,
                    settings.core_client_secret,
                    probe=probe,
                )
                app.state.settings = settings
                app.state.core = core
                app.state.coach = CoachService(core)
                app.state.verifier = JwksVerifier(
                    settings.jwks_url,
                    settings.issuer,
                    settings.audience,
                    jwks_http,
                    cache_seconds=settings.jwks_cache_seconds,
                    cooldown_seconds=settings.jwks_refetch_cooldown_seconds,
                )
                # Checked through the traced client: the call to core is part of the trace.
                app.state.personal_tokens = PersonalTokenChecker(
                    core_http,
                    cache_seconds=settings.personal_token_cache_seconds,
                    max_entries=settings.personal_token_cache_size,
                )
                async with _model_users(settings) as model_users:
                    app.state.chat_model = model_users.chat
                    app.state.review_narrator = model_users.reviews
                    yield

    app = FastAPI(
        title="Tradeloop ai-coach",
        version="0.1.0",
        lifespan=lifespan,
        # The contracts middleware below is the one source of spans and RED series, the
        # same in every service; FastAPI's own would double each request's server span.
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
    )
    install_error_handlers(app)
    app.include_router(insights_router)
    app.include_router(analytics_router)
    app.include_router(reflections_router)
    app.include_router(reviews_router)
    app.include_router(chat_router)
    app.include_router(internal_reviews_router)

    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict[str, str]:
        """The process is alive."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"], response_model=None)
    async def readyz() -> dict[str, str] | JSONResponse:
        """core answers its health check."""
        core: CoreClient = app.state.core
        if await core.is_ready():
            return {"status": "ok"}
        return problem_response(503, "Service Unavailable", "core does not answer.", "/readyz")

    app.router.routes.append(Route("/metrics", metrics_app()))
    # The 500 problem is rendered inside the telemetry middleware (Starlette's own error
    # middleware sits outside every added one), so its log line carries the trace id and
    # the answer its traceparent.
    app.add_middleware(ServerErrorMiddleware, handler=unexpected_error)
    # Added last, so it is the outermost of the added middleware.
    app.add_middleware(TelemetryMiddleware, service=SERVICE_NAME)
    return app
