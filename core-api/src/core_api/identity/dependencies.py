"""Who is calling: a trader with an access token or a personal API token, or a service."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from tradeloop_contracts.telemetry import bind_user

from core_api.db import DbSession
from core_api.errors import AppError, UnauthorizedError
from core_api.identity import api_tokens
from core_api.identity.tokens import INTERNAL_AUDIENCE, PUBLIC_AUDIENCE
from core_api.state import State

SERVICE_PREFIX = "service:"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
_bearer = HTTPBearer(auto_error=False)


@dataclass(frozen=True)
class AuthenticatedUser:
    """The trader a verified access token names, and the refresh family it came from."""

    id: uuid.UUID
    session_id: uuid.UUID | None = None
    personal_token: bool = False


@dataclass(frozen=True)
class AuthenticatedService:
    """The service a verified service token names (`edge`, `workers`, `ai-coach`)."""

    client_id: str


def _token(credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise UnauthorizedError("A bearer token is required.")
    return credentials.credentials


def _current_user(
    request: Request,
    state: State,
    session: DbSession,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> AuthenticatedUser:
    token = _token(credentials)
    if token.startswith(api_tokens.PREFIX):
        needed = api_tokens.READ if request.method in SAFE_METHODS else api_tokens.WRITE
        record = api_tokens.authenticate(session, token, needed)
        return AuthenticatedUser(id=record.user_id, personal_token=True)
    claims = state.tokens.verify(token, PUBLIC_AUDIENCE)
    try:
        return AuthenticatedUser(id=uuid.UUID(claims.subject), session_id=claims.session_id)
    except ValueError as error:
        raise UnauthorizedError("The token does not name a user.") from error


def _service_caller(
    state: State,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> AuthenticatedService:
    claims = state.tokens.verify(_token(credentials), INTERNAL_AUDIENCE)
    client_id = claims.subject.removeprefix(SERVICE_PREFIX)
    if not claims.subject.startswith(SERVICE_PREFIX) or client_id not in (
        state.settings.service_clients
    ):
        raise AppError(403, "Forbidden", "The token does not name a known service.")
    return AuthenticatedService(client_id=client_id)


async def _logged_user(
    user: Annotated[AuthenticatedUser, Depends(_current_user)],
) -> AuthenticatedUser:
    # Async, so it runs in the request's own task: a sync dependency runs in a copy of the
    # context, and the id would not reach the handler's or the access log's lines.
    bind_user(user.id)
    return user


async def _logged_service(
    request: Request, service: Annotated[AuthenticatedService, Depends(_service_caller)]
) -> AuthenticatedService:
    # Internal routes act for the trader their path names; their lines carry that id.
    bind_user(request.path_params.get("user_id"))
    return service


def _session_user(
    user: Annotated[AuthenticatedUser, Depends(_logged_user)],
) -> AuthenticatedUser:
    # Account-level changes need a signed-in session, never a personal API token.
    if user.personal_token:
        raise AppError(403, "Forbidden", "This needs a signed-in session, not an API token.")
    return user


CurrentUser = Annotated[AuthenticatedUser, Depends(_logged_user)]
SessionUser = Annotated[AuthenticatedUser, Depends(_session_user)]
ServiceCaller = Annotated[AuthenticatedService, Depends(_logged_service)]
