"""Who is calling: a trader with a user access token, or a service with a service token."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from core_api.errors import AppError, UnauthorizedError
from core_api.identity.tokens import INTERNAL_AUDIENCE, PUBLIC_AUDIENCE
from core_api.state import State

SERVICE_PREFIX = "service:"
_bearer = HTTPBearer(auto_error=False)


@dataclass(frozen=True)
class AuthenticatedUser:
    """The trader a verified access token names, and the refresh family it came from."""

    id: uuid.UUID
    session_id: uuid.UUID | None = None


@dataclass(frozen=True)
class AuthenticatedService:
    """The service a verified service token names (`edge`, `workers`, `ai-coach`)."""

    client_id: str


def _token(credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise UnauthorizedError("A bearer token is required.")
    return credentials.credentials


def _current_user(
    state: State,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> AuthenticatedUser:
    claims = state.tokens.verify(_token(credentials), PUBLIC_AUDIENCE)
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


CurrentUser = Annotated[AuthenticatedUser, Depends(_current_user)]
# Account-level changes need a signed-in session, never a personal API token.
SessionUser = Annotated[AuthenticatedUser, Depends(_current_user)]
ServiceCaller = Annotated[AuthenticatedService, Depends(_service_caller)]
