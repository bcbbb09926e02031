"""The edge's own auth routes: sign-up, log-in and log-out for browsers, tokens for apps."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import httpx
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from tradeloop_contracts import (
    PROBLEM_CONTENT_TYPE,
    LoginRequest,
    LogoutRequest,
    SignupRequest,
    TokenPair,
    User,
)
from tradeloop_contracts.telemetry import bind_user

from .bodies import read_body, wire_json
from .context import context_of
from .errors import AppError
from .live import LOGGED_OUT, PASSWORD_CHANGED
from .runtime import Runtime, backend_headers, runtime_of
from .sessions.store import Session
from .tokens import InvalidTokenError

log = logging.getLogger(__name__)


async def _core(
    request: Request, path: str, body: bytes, *, bearer: str | None = None, method: str = "POST"
) -> httpx.Response:
    runtime = runtime_of(request)
    headers = [*backend_headers(request), ("content-type", "application/json")]
    if bearer is not None:
        headers.append(("authorization", f"Bearer {bearer}"))
    try:
        return await runtime.upstreams.core.request(
            method, path, content=body if method == "POST" else None, headers=headers
        )
    except httpx.TimeoutException as exc:
        raise AppError(504, "The identity service did not answer in time.") from exc
    except httpx.HTTPError as exc:
        raise AppError(502, "The identity service could not be reached.") from exc


def _relay_failure(upstream: httpx.Response) -> Response:
    """Core's own problem (it names the bad field or credentials), passed on as it is."""
    if upstream.headers.get("content-type", "").startswith(PROBLEM_CONTENT_TYPE):
        return Response(upstream.content, upstream.status_code, media_type=PROBLEM_CONTENT_TYPE)
    raise AppError(502 if upstream.status_code >= 500 else upstream.status_code, "Core refused.")


def _parse(model: type[TokenPair] | type[User], upstream: httpx.Response) -> TokenPair | User:
    try:
        return model.model_validate_json(upstream.content)
    except ValidationError as exc:
        raise AppError(502, "The identity service answered with a malformed body.") from exc


async def _log_in(request: Request, runtime: Runtime, login: bytes) -> Response:
    """Exchange credentials for tokens, then start a fresh session holding them."""
    upstream = await _core(request, "/v1/auth/login", login)
    if upstream.status_code != 200:
        return _relay_failure(upstream)
    pair = _parse(TokenPair, upstream)
    assert isinstance(pair, TokenPair)
    try:
        verified = await runtime.authenticator.verifier.verify(pair.access_token)
    except InvalidTokenError as exc:
        raise AppError(502, "The identity service issued a token that does not verify.") from exc
    me = await _core(request, "/v1/me", b"", bearer=pair.access_token, method="GET")
    if me.status_code != 200:
        return _relay_failure(me)
    user = _parse(User, me)
    context = context_of(request.scope)
    context.session = await runtime.sessions.log_in(
        context.session,
        user_id=verified.subject,
        access_token=pair.access_token,
        refresh_token=pair.refresh_token,
    )
    bind_user(verified.subject)
    log.info("logged in; new session")
    return JSONResponse(
        user.model_dump(mode="json"),
        headers={"x-csrf-token": runtime.csrf.token_for(context.session)},
    )


async def signup(request: Request) -> Response:
    """Create an account, then log the new trader in with a session cookie."""
    runtime = runtime_of(request)
    body, raw = await read_body(request, SignupRequest)
    upstream = await _core(request, "/v1/auth/signup", raw)
    if upstream.status_code != 201:
        return _relay_failure(upstream)
    login = LoginRequest(email=body.email, password=body.password)
    response = await _log_in(request, runtime, wire_json(login))
    if response.status_code == 200:
        response.status_code = 201
    return response


async def login(request: Request) -> Response:
    """Log in: a new session id, the trader's tokens kept server-side, the `User` returned."""
    runtime = runtime_of(request)
    _, raw = await read_body(request, LoginRequest)
    return await _log_in(request, runtime, raw)


async def end_browser_session(request: Request) -> None:
    """Ends this request's cookie session, if any, and closes its sockets."""
    runtime = runtime_of(request)
    context = context_of(request.scope)
    if context.session is not None:
        await runtime.sessions.end(context.session)
        await runtime.live.end_session(context.session.id)
        context.session = None
        log.info("session ended")


async def end_other_sessions(request: Request) -> Session | None:
    """After a password change: every other browser session of the trader ends here, with
    its sockets on every instance (core has already ended their refresh-token families).
    Gives this browser's session under its new id, or None for a bearer caller."""
    runtime = runtime_of(request)
    credentials = await runtime.authenticator.require(request)
    if credentials.user_id is None:
        return None
    context = context_of(request.scope)
    current = context.session
    ended = await runtime.sessions.end_all(credentials.user_id, keep=current)
    await runtime.live.end_user(
        credentials.user_id,
        PASSWORD_CHANGED,
        spare_session_id=current.id if current is not None else None,
    )
    if current is not None:
        # A change of privilege: this browser carries on under a new session id, so an id
        # read before the change is worth nothing after it.
        context.session = await runtime.sessions.rotate(current)
    log.info("password changed; other sessions ended", extra={"sessions_ended": len(ended)})
    return context.session


async def logout(request: Request) -> Response:
    """End the session (and its refresh-token family); with no session, revoke the body's."""
    session = context_of(request.scope).session
    if session is not None:
        if session.refresh_token and session.access_token:
            body = wire_json(LogoutRequest.model_validate({"refresh_token": session.refresh_token}))
            # The session ends even when core cannot hear about it now.
            with contextlib.suppress(AppError):
                await _core(request, "/v1/auth/logout", body, bearer=session.access_token)
        await end_browser_session(request)
        return Response(status_code=204)
    _, raw = await read_body(request, LogoutRequest)
    upstream = await _core(request, "/v1/auth/logout", raw)
    if upstream.status_code != 204:
        return _relay_failure(upstream)
    return Response(status_code=204)


async def _revoke_refresh_token(request: Request, refresh_token: str) -> None:
    body = wire_json(LogoutRequest.model_validate({"refresh_token": refresh_token}))
    # The sessions are gone whatever core answers; a family core did not hear about can
    # no longer be used, since only those sessions held its refresh token.
    with contextlib.suppress(AppError):
        await _core(request, "/v1/auth/logout", body)


async def logout_everywhere(request: Request) -> Response:
    """End every browser session of the acting user and close all their sockets, on every
    instance; each session's refresh-token family ends at core too."""
    runtime = runtime_of(request)
    credentials = await runtime.authenticator.require(request)
    if credentials.user_id is None:
        raise AppError(403, "A personal API token cannot end sessions; log in instead.")
    refresh_tokens = await runtime.sessions.end_all(credentials.user_id)
    await asyncio.gather(*(_revoke_refresh_token(request, token) for token in refresh_tokens))
    await runtime.live.end_user(credentials.user_id, LOGGED_OUT)
    context_of(request.scope).session = None
    log.info("logged out everywhere", extra={"sessions_ended": len(refresh_tokens)})
    return Response(status_code=204)


async def issue_token(request: Request) -> Response:
    """Log in an app or the CLI: the `TokenPair` as JSON, no cookie."""
    _, raw = await read_body(request, LoginRequest)
    upstream = await _core(request, "/v1/auth/login", raw)
    if upstream.status_code != 200:
        return _relay_failure(upstream)
    pair = _parse(TokenPair, upstream)
    return JSONResponse(pair.model_dump(mode="json"))


routes = [
    Route("/api/v1/auth/signup", signup, methods=["POST"]),
    Route("/api/v1/auth/login", login, methods=["POST"]),
    Route("/api/v1/auth/logout", logout, methods=["POST"]),
    Route("/api/v1/auth/logout-everywhere", logout_everywhere, methods=["POST"]),
    Route("/api/v1/auth/token", issue_token, methods=["POST"]),
]
