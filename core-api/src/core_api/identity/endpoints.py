"""Sign-up, log-in, tokens, the current trader and the public keys."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from tradeloop_contracts import (
    AccountDeletion,
    ApiTokenCreate,
    ApiTokenCreated,
    ApiTokenList,
    LoginRequest,
    LogoutRequest,
    PasswordChange,
    RefreshRequest,
    ServiceToken,
    ServiceTokenRequest,
    SignupRequest,
    TokenPair,
    User,
    UserUpdate,
)

from core_api.db import DbSession
from core_api.identity import service
from core_api.identity.api_tokens import ApiTokenRepository, to_api_token
from core_api.identity.dependencies import CurrentUser, SessionUser
from core_api.identity.models import UserRecord
from core_api.kit.tracing import Traceparent
from core_api.state import State

public = APIRouter(tags=["identity"])
internal = APIRouter(tags=["identity"])


def to_user(record: UserRecord) -> User:
    return User(
        id=record.id,
        email=record.email,
        time_zone=record.time_zone,
        base_currency=record.base_currency,
        created_at=record.created_at,
    )


@public.post("/v1/auth/signup", status_code=201)
def signup(body: SignupRequest, session: DbSession) -> User:
    """Register a trader; a default account is created."""
    return to_user(service.signup(session, body))


@public.post("/v1/auth/login")
def login(body: LoginRequest, request: Request, session: DbSession, state: State) -> TokenPair:
    """Exchange email and password for an access token and a refresh token."""
    address = request.client.host if request.client else "unknown"
    return service.login(session, state.tokens, state.settings, body, address)


@public.post("/v1/auth/refresh")
def refresh(body: RefreshRequest, session: DbSession, state: State) -> TokenPair:
    """Rotate a refresh token into a new pair."""
    return service.refresh(
        session, state.tokens, state.settings, body.refresh_token.get_secret_value()
    )


@public.post("/v1/auth/logout", status_code=204)
def logout(body: LogoutRequest, session: DbSession) -> Response:
    """End the refresh token's family."""
    service.logout(session, body.refresh_token.get_secret_value())
    return Response(status_code=204)


@public.get("/v1/me")
def get_me(user: CurrentUser, session: DbSession) -> User:
    """The signed-in trader."""
    return to_user(service.get_user(session, user.id))


@public.patch("/v1/me")
def patch_me(body: UserUpdate, user: CurrentUser, session: DbSession) -> User:
    """Change the trader's time zone or base currency."""
    return to_user(service.update_user(session, user.id, body))


@public.post("/v1/auth/password", status_code=204)
def change_password(
    body: PasswordChange, user: SessionUser, session: DbSession, state: State
) -> Response:
    """Change the password; every other signed-in session ends."""
    service.change_password(session, state.settings, user.id, user.session_id, body)
    return Response(status_code=204)


@public.delete("/v1/me", status_code=204)
def delete_me(
    body: AccountDeletion,
    user: SessionUser,
    session: DbSession,
    state: State,
    traceparent: Traceparent,
) -> Response:
    """Delete the trader's account, data and files for good."""
    service.delete_account(
        session,
        state.settings,
        state.store,
        user.id,
        body.password.get_secret_value(),
        traceparent,
    )
    return Response(status_code=204)


@public.post("/v1/api-tokens", status_code=201)
def create_api_token(
    body: ApiTokenCreate, user: SessionUser, session: DbSession
) -> ApiTokenCreated:
    """Create a personal API token; its secret is shown in this response only."""
    return ApiTokenRepository(session, user.id).create(body)


@public.get("/v1/api-tokens")
def list_api_tokens(user: SessionUser, session: DbSession) -> ApiTokenList:
    """The trader's personal API tokens, newest first, without their secrets."""
    records = ApiTokenRepository(session, user.id).list()
    return ApiTokenList(items=[to_api_token(record) for record in records])


@public.delete("/v1/api-tokens/{token_id}", status_code=204)
def revoke_api_token(token_id: uuid.UUID, user: SessionUser, session: DbSession) -> Response:
    """Revoke a personal API token."""
    ApiTokenRepository(session, user.id).revoke(token_id)
    return Response(status_code=204)


@public.get("/.well-known/jwks.json")
def get_jwks(state: State, response: Response) -> dict[str, Any]:
    """The public keys that verify core's tokens."""
    # Verifiers may cache the set for ten minutes; an unknown kid makes them fetch again.
    response.headers["Cache-Control"] = "public, max-age=600"
    return state.tokens.jwks()


@internal.post("/internal/token")
def issue_service_token(body: ServiceTokenRequest, state: State) -> ServiceToken:
    """Exchange a service's client credentials for an internal access token."""
    return service.service_token(state.tokens, state.settings, body)
