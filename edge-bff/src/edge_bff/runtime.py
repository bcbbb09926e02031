"""Everything a route needs at run time, created once per process at startup."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import HTTPConnection

from .clock import Clock
from .config import Settings
from .context import context_of
from .csrf import CsrfTokens
from .identity import Authenticator
from .live import LiveEvents
from .sessions.service import SessionService
from .upstreams import Upstreams


@dataclass(frozen=True)
class Runtime:
    """Settings, clock, sessions, backends and the live event fan-out of this process."""

    settings: Settings
    clock: Clock
    sessions: SessionService
    csrf: CsrfTokens
    upstreams: Upstreams
    authenticator: Authenticator
    live: LiveEvents


def runtime_of(connection: HTTPConnection) -> Runtime:
    """The runtime the lifespan put in the request state."""
    runtime = connection.state.runtime
    assert isinstance(runtime, Runtime)
    return runtime


def backend_headers(connection: HTTPConnection) -> list[tuple[str, str]]:
    """Headers every call to a backend carries: the request id, and who the caller is
    (the clients' transport adds `traceparent`).

    `X-Forwarded-For` names the client alone (uvicorn has already resolved it from a
    trusted proxy's header), so core throttles logins and web-ui's calls back are limited
    per browser, not per web-ui instance.
    """
    context = context_of(connection.scope)
    client = connection.client.host if connection.client is not None else "unknown"
    return [
        ("x-request-id", context.request_id),
        ("x-forwarded-for", client),
    ]
