"""Every path that is not the API: pages and assets rendered by web-ui."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .context import context_of
from .runtime import backend_headers, runtime_of
from .sessions.middleware import COOKIE_NAME
from .upstreams import filtered_headers, forward

_DROPPED_REQUEST_HEADERS = frozenset(
    {
        "host",
        "cookie",
        "x-csrf-token",
        "x-csp-nonce",
        "x-request-id",
        "traceparent",
        "x-forwarded-for",
    }
)


def _cookie_header(request: Request, session_id: str | None) -> str:
    """The browser's cookies, with the session cookie set to the session this request uses.

    web-ui calls the API back with this header, so a browser on its first visit (whose
    cookie is only being set now) already acts as its new session.
    """
    others = [
        part.strip()
        for part in request.headers.get("cookie", "").split(";")
        if part.strip() and not part.strip().startswith(f"{COOKIE_NAME}=")
    ]
    if session_id is not None:
        others.append(f"{COOKIE_NAME}={session_id}")
    return "; ".join(others)


async def page(request: Request) -> Response:
    """A page or asset from web-ui, with this response's CSP nonce and the CSRF token."""
    runtime = runtime_of(request)
    context = context_of(request.scope)
    headers = filtered_headers(
        request.headers.items(),
        connection=request.headers.get("connection", ""),
        drop=_DROPPED_REQUEST_HEADERS,
    )
    headers += [*backend_headers(request), ("x-csp-nonce", context.csp_nonce)]
    session = context.session
    if session is not None:
        headers.append(("x-csrf-token", runtime.csrf.token_for(session)))
    cookie = _cookie_header(request, session.id if session is not None else None)
    if cookie:
        headers.append(("cookie", cookie))
    return await forward(
        request,
        runtime.upstreams.web,
        request.url.path,
        headers=headers,
        max_body_bytes=runtime.settings.max_upload_bytes,
        relay_set_cookie=True,
    )


routes = [
    Route(
        "/{path:path}",
        page,
        methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
    )
]
