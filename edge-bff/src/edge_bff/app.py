"""The edge application: middleware, routes and what starts and stops with the process."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable

import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from tradeloop_contracts.telemetry import TelemetryMiddleware, TracedTransport

from . import api, auth, csp_reports, health, pages, sockets, telemetry
from .clock import Clock, SystemClock
from .config import Settings
from .csrf import CsrfMiddleware, CsrfTokens
from .errors import AppError, UnexpectedErrorMiddleware, app_error_handler, http_error_handler
from .headers import SecurityHeadersMiddleware
from .idempotency.middleware import IdempotencyMiddleware
from .idempotency.store import open_idempotency_store
from .identity import Authenticator
from .live import Bus, LiveEvents, open_bus
from .ratelimits import RateLimitMiddleware, open_rate_limits
from .revocations import open_revocations
from .runtime import Runtime
from .sessions.middleware import SessionMiddleware
from .sessions.service import SessionService, open_session_store
from .tokens import JwksCache, TokenVerifier
from .upstreams import Upstreams


def create_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    bus_factory: Callable[[str], Bus | None] = open_bus,
) -> Starlette:
    """The edge for these settings; `clock` and `bus_factory` are replaceable for tests.

    Raises ValueError for an unsupported session store URL.
    """
    clock = clock or SystemClock()
    store = open_session_store(
        settings.session_store_url,
        idle_seconds=settings.session_idle_seconds,
        absolute_seconds=settings.session_absolute_seconds,
        key_prefix=settings.redis_key_prefix,
    )
    idempotency = open_idempotency_store(
        settings.session_store_url,
        lease_seconds=settings.idempotency_lease_seconds,
        retention_seconds=settings.idempotency_retention_seconds,
        key_prefix=settings.redis_key_prefix,
    )
    rate_limits = open_rate_limits(settings.session_store_url, key_prefix=settings.redis_key_prefix)
    sessions = SessionService(
        store,
        clock,
        idle_seconds=settings.session_idle_seconds,
        absolute_seconds=settings.session_absolute_seconds,
    )
    csrf = CsrfTokens(settings.csrf_pepper.get_secret_value().encode())
    telemetry.start_socket_series()

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[dict[str, Runtime]]:
        upstreams = Upstreams.connect(
            core_url=settings.core_url,
            web_url=settings.web_url,
            coach_url=settings.coach_url,
            timeout_seconds=settings.upstream_timeout_seconds,
        )
        jwks_client = httpx.AsyncClient(timeout=httpx.Timeout(5.0), transport=TracedTransport())
        jwks = JwksCache(
            jwks_client,
            settings.jwks_url,
            ttl_seconds=settings.jwks_cache_seconds,
            cooldown_seconds=settings.jwks_refetch_cooldown_seconds,
        )
        # Warm the key cache now, so the first request does not fetch it.
        jwks.refresh_in_background()
        verifier = TokenVerifier(
            jwks,
            algorithm=settings.jwt_algorithm,
            issuer=settings.issuer,
            audience=settings.audience,
            leeway_seconds=settings.jwt_leeway_seconds,
        )
        live = LiveEvents(
            bus_factory(settings.bus_url),
            queue_size=settings.ws_queue_size,
            ping_seconds=settings.ws_ping_seconds,
            revocations=open_revocations(
                settings.session_store_url, key_prefix=settings.redis_key_prefix
            ),
            on_user_deleted=sessions.end_all,
        )
        await live.start()
        runtime = Runtime(
            settings=settings,
            clock=clock,
            sessions=sessions,
            csrf=csrf,
            upstreams=upstreams,
            authenticator=Authenticator(verifier, sessions, upstreams.core, clock),
            live=live,
        )
        try:
            yield {"runtime": runtime}
        finally:
            await live.stop()
            await upstreams.aclose()
            await jwks.aclose()
            await jwks_client.aclose()
            await store.close()
            await idempotency.close()
            await rate_limits.close()

    return Starlette(
        routes=[
            *health.routes,
            *csp_reports.routes,
            *auth.routes,
            *api.routes,
            *sockets.routes,
            *pages.routes,
        ],
        middleware=[
            # Outermost: every answer is measured and traced, refusals included.
            Middleware(TelemetryMiddleware, service=telemetry.SERVICE),
            Middleware(SecurityHeadersMiddleware, public_origin=settings.public_origin),
            Middleware(UnexpectedErrorMiddleware),
            Middleware(SessionMiddleware, sessions=sessions),
            Middleware(
                RateLimitMiddleware,
                store=rate_limits,
                clock=clock,
                per_ip=settings.rate_limit_ip_per_minute,
                per_user=settings.rate_limit_user_per_minute,
                auth_per_ip=settings.rate_limit_auth_per_minute,
            ),
            Middleware(CsrfMiddleware, tokens=csrf, public_origin=settings.public_origin),
            Middleware(
                IdempotencyMiddleware,
                store=idempotency,
                clock=clock,
                max_json_bytes=settings.max_json_bytes,
                max_upload_bytes=settings.max_upload_bytes,
            ),
        ],
        exception_handlers={
            AppError: app_error_handler,
            HTTPException: http_error_handler,
        },
        lifespan=lifespan,
    )
