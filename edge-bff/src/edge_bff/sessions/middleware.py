"""Attach the browser session to each request and keep the session cookie in step with it."""

from __future__ import annotations

from http.cookies import CookieError, SimpleCookie

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from tradeloop_contracts.telemetry import bind_user, unbind_user

from ..context import context_of
from .service import SessionService

COOKIE_NAME = "__Host-tradeloop_session"

# Paths that never start an anonymous session: the API (cookie-less clients) and probes.
_NO_NEW_SESSION_PREFIXES = ("/api/", "/healthz", "/readyz", "/metrics", "/ws")


def session_cookie(session_id: str) -> str:
    """The Set-Cookie value for a session: host-only, HTTPS-only, hidden from scripts."""
    return f"{COOKIE_NAME}={session_id}; Path=/; Secure; HttpOnly; SameSite=Lax"


def cleared_session_cookie() -> str:
    """The Set-Cookie value that removes the session cookie from the browser."""
    return f"{COOKIE_NAME}=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0"


def session_id_from(headers: Headers) -> str | None:
    """The session id in the request's Cookie header, or None."""
    raw = headers.get("cookie")
    if not raw:
        return None
    cookies: SimpleCookie = SimpleCookie()
    try:
        cookies.load(raw)
    except CookieError:
        return None
    morsel = cookies.get(COOKIE_NAME)
    return morsel.value if morsel is not None and morsel.value else None


class SessionMiddleware:
    """Loads the session named by the cookie (expired ones are gone), starts an anonymous
    session on a browser's first page request, and sets or clears the cookie when a route
    replaced the session (login) or ended it (logout)."""

    def __init__(self, app: ASGIApp, sessions: SessionService) -> None:
        self.app = app
        self.sessions = sessions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        context = context_of(scope)
        session_id = session_id_from(Headers(scope=scope))
        context.had_session_cookie = session_id is not None
        if session_id is not None:
            context.session = await self.sessions.load(session_id)
        if (
            context.session is None
            and scope["type"] == "http"
            and scope["method"] in ("GET", "HEAD")
            and not scope["path"].startswith(_NO_NEW_SESSION_PREFIXES)
        ):
            context.session = await self.sessions.create()
        started_with = context.session.id if context.session is not None else None

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                ending = context.session.id if context.session is not None else None
                if ending != started_with or (ending is not None and ending != session_id):
                    headers = MutableHeaders(scope=message)
                    if ending is None:
                        headers.append("set-cookie", cleared_session_cookie())
                    else:
                        headers.append("set-cookie", session_cookie(ending))
            await send(message)

        # Every log line of the request names the trader (never their tokens).
        bound = bind_user(context.session.user_id if context.session is not None else None)
        try:
            await self.app(scope, receive, send_with_cookie)
        finally:
            unbind_user(bound)
