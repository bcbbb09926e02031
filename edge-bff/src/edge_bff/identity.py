"""Who is acting: the logged-in session's tokens (refreshed when due) or a bearer token."""

from __future__ import annotations

import asyncio
import hashlib
import weakref
from dataclasses import dataclass

import httpx
from pydantic import SecretStr, ValidationError
from starlette.requests import HTTPConnection, Request
from tradeloop_contracts import RefreshRequest, TokenPair, User
from tradeloop_contracts.telemetry import bind_user

from .bodies import wire_json
from .clock import Clock
from .context import context_of
from .errors import AppError
from .sessions.service import SessionService
from .sessions.store import Session
from .tokens import InvalidTokenError, TokenVerifier

# Refresh a little before expiry so a token never dies in flight to a backend.
_REFRESH_MARGIN_SECONDS = 30
# Personal API tokens are opaque to the edge: core verifies them.
PERSONAL_TOKEN_PREFIX = "tlp_"


@dataclass(frozen=True)
class Credentials:
    """An access token and the user it speaks for.

    `user_id` is None for a personal API token, which the edge passes to core unverified.
    """

    access_token: str
    user_id: str | None


@dataclass(frozen=True)
class BearerOwner:
    """Whom a bearer token speaks for; `expires_at` (Unix time) is None for a personal API
    token, which core checks on every use instead."""

    user_id: str
    expires_at: int | None


def bearer_token(connection: HTTPConnection) -> str | None:
    """The token of an `Authorization: Bearer` header, or None."""
    scheme, _, token = connection.headers.get("authorization", "").partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None


class Authenticator:
    """Finds the acting user's access token and verifies it."""

    def __init__(
        self,
        verifier: TokenVerifier,
        sessions: SessionService,
        core: httpx.AsyncClient,
        clock: Clock,
    ) -> None:
        self.verifier = verifier
        self._sessions = sessions
        self._core = core
        self._clock = clock
        # One refresh per session at a time: a refresh token is single-use.
        self._refresh_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )

    async def credentials(self, request: Request) -> Credentials | None:
        """The acting user's verified credentials, or None for an anonymous request.

        A logged-in session's expired access token is refreshed through core and the new
        pair stored back; when that fails the session ends. Raises AppError 401 for a
        bearer token that does not verify.
        """
        context = context_of(request.scope)
        session = context.session
        if session is not None and session.access_token and session.refresh_token:
            return await self._from_session(request, session)
        token = bearer_token(request)
        if token is None:
            return None
        if token.startswith(PERSONAL_TOKEN_PREFIX):
            return Credentials(access_token=token, user_id=None)
        owner = await self.bearer_owner(token)
        bind_user(owner.user_id)
        return Credentials(access_token=token, user_id=owner.user_id)

    async def bearer_owner(self, token: str) -> BearerOwner:
        """The user a bearer token speaks for, and until when.

        A JWT is verified here; a personal API token is asked of core (`GET /v1/me`).
        Raises AppError 401 when the token is not valid, 502 when core cannot be asked.
        """
        if token.startswith(PERSONAL_TOKEN_PREFIX):
            user_id = await self.personal_token_user(token)
            if user_id is None:
                raise AppError(401, "The personal API token is not valid.")
            return BearerOwner(user_id=user_id, expires_at=None)
        try:
            verified = await self.verifier.verify(token)
        except InvalidTokenError as exc:
            raise AppError(401, f"The bearer token is not valid: {exc}.") from exc
        return BearerOwner(user_id=verified.subject, expires_at=verified.expires_at)

    async def personal_token_user(self, token: str) -> str | None:
        """The id of the user a personal API token belongs to; None when core refuses it.

        Raises AppError 502 when core cannot be reached or answers nonsense.
        """
        try:
            response = await self._core.get("/v1/me", headers={"authorization": f"Bearer {token}"})
        except httpx.HTTPError as exc:
            raise AppError(502, "The identity service could not be reached.") from exc
        if response.status_code in (401, 403):
            return None
        if response.status_code != 200:
            raise AppError(502, "The identity service could not check the token.")
        try:
            return str(User.model_validate_json(response.content).id)
        except ValidationError as exc:
            raise AppError(502, "The identity service answered with a malformed body.") from exc

    async def actor(self, connection: HTTPConnection) -> str | None:
        """Who is acting, as a key for limits and idempotency scopes; None when unknown.

        `user:<id>` for a logged-in session or a verified JWT, `token:<hash>` for a personal
        API token, `session:<hash>` for an anonymous browser session. Nothing is refreshed
        or fetched here beyond what JWT verification needs.
        """
        session = context_of(connection.scope).session
        if session is not None and session.user_id is not None:
            return f"user:{session.user_id}"
        token = bearer_token(connection)
        if token is not None:
            digest = hashlib.sha256(token.encode()).hexdigest()
            if token.startswith(PERSONAL_TOKEN_PREFIX):
                return f"token:{digest}"
            try:
                return f"user:{(await self.verifier.verify(token)).subject}"
            except InvalidTokenError:
                return None
        if session is not None:
            return f"session:{hashlib.sha256(session.id.encode()).hexdigest()}"
        return None

    async def require(self, request: Request) -> Credentials:
        """The acting user's credentials; AppError 401 when nobody is logged in."""
        credentials = await self.credentials(request)
        if credentials is None:
            raise AppError(401, "Log in, or send an Authorization: Bearer token.")
        return credentials

    async def _from_session(self, request: Request, session: Session) -> Credentials | None:
        assert session.access_token is not None
        try:
            verified = await self.verifier.verify(session.access_token)
            due = verified.expires_at - self._clock.now().timestamp() < _REFRESH_MARGIN_SECONDS
        except InvalidTokenError:
            due = True
        if not due:
            return Credentials(access_token=session.access_token, user_id=verified.subject)
        lock = self._refresh_locks.setdefault(session.id, asyncio.Lock())
        async with lock:
            # A concurrent request of the same browser may have refreshed already.
            current = await self._sessions.store.get(session.id)
            if current is not None and current.access_token != session.access_token:
                session = current
            else:
                refreshed = await self._refresh(session)
                if refreshed is None:
                    await self._sessions.end(session)
                    context_of(request.scope).session = None
                    return None
                session = refreshed
        context_of(request.scope).session = session
        assert session.access_token is not None
        try:
            verified = await self.verifier.verify(session.access_token)
        except InvalidTokenError as exc:
            raise AppError(401, "The session's access token is not valid.") from exc
        return Credentials(access_token=session.access_token, user_id=verified.subject)

    async def _refresh(self, session: Session) -> Session | None:
        assert session.refresh_token is not None
        body = RefreshRequest(refresh_token=SecretStr(session.refresh_token))
        try:
            response = await self._core.post(
                "/v1/auth/refresh",
                content=wire_json(body),
                headers={"content-type": "application/json"},
            )
        except httpx.HTTPError as exc:
            raise AppError(502, "The identity service could not be reached.") from exc
        if response.status_code != 200:
            return None
        try:
            pair = TokenPair.model_validate_json(response.content)
        except ValidationError as exc:
            raise AppError(502, "The identity service answered with a malformed body.") from exc
        return await self._sessions.store_tokens(
            session, access_token=pair.access_token, refresh_token=pair.refresh_token
        )
