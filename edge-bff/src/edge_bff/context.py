"""What the edge knows about the request in flight, shared by its middleware and routes."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.types import Scope

from .sessions.store import Session

_SCOPE_KEY = "edge.context"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


@dataclass
class RequestContext:
    """Nonce, request id and the browser session of one request.

    `session` is what the request started with; routes replace it (login) or clear it
    (logout), and the session middleware turns the difference into a Set-Cookie.
    """

    csp_nonce: str
    request_id: str
    session: Session | None = None
    had_session_cookie: bool = False


def new_context(headers: Headers) -> RequestContext:
    """A context with a fresh nonce; a sane incoming X-Request-Id is kept.

    The trace context is OpenTelemetry's: the telemetry middleware continues an incoming
    `traceparent` and the backend clients send the current one on.
    """
    request_id = headers.get("x-request-id", "")
    return RequestContext(
        csp_nonce=secrets.token_urlsafe(18),
        request_id=request_id if _REQUEST_ID.match(request_id) else secrets.token_hex(16),
    )


def context_of(scope: Scope) -> RequestContext:
    """The context the security-headers middleware attached; KeyError when it is missing."""
    context = scope[_SCOPE_KEY]
    assert isinstance(context, RequestContext)
    return context


def attach_context(scope: Scope, context: RequestContext) -> None:
    """Make `context` the request's context."""
    scope[_SCOPE_KEY] = context
