"""Identity: sign-up, log-in, tokens, personal API tokens and service credentials."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import Field, SecretStr, StringConstraints

from ._base import Currency, RequestBody, ResponseBody, Timestamp

Email = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_lower=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
    ),
]
# Long enough to be a passphrase, short enough that hashing it is no denial of service.
Password = Annotated[SecretStr, Field(min_length=10, max_length=256)]
TokenScope = Literal["read", "write"]


class SignupRequest(RequestBody):
    """A new trader's credentials."""

    email: Email
    password: Password
    time_zone: str = Field(
        default="UTC", max_length=64, description="IANA zone, e.g. America/New_York."
    )
    base_currency: Currency = "USD"


class LoginRequest(RequestBody):
    """Email and password for the built-in issuer."""

    email: Email
    password: SecretStr = Field(max_length=256)


class RefreshRequest(RequestBody):
    """A refresh token to rotate; a reused one revokes its whole family."""

    refresh_token: SecretStr


class LogoutRequest(RequestBody):
    """The refresh token whose family ends."""

    refresh_token: SecretStr


class PasswordChange(RequestBody):
    """The current password proves it is the trader; every other session ends."""

    current_password: SecretStr = Field(max_length=256)
    new_password: Password


class AccountDeletion(RequestBody):
    """The password, re-entered to delete the trader's account and all its data for good."""

    password: SecretStr = Field(max_length=256)


class TokenPair(ResponseBody):
    """A short-lived access JWT and the refresh token that renews it."""

    access_token: str
    refresh_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int = Field(description="Seconds until the access token expires.")


class User(ResponseBody):
    """The signed-in trader."""

    id: UUID
    email: str
    time_zone: str
    base_currency: Currency
    created_at: Timestamp


class UserUpdate(RequestBody):
    """Preferences a trader may change."""

    time_zone: str | None = Field(default=None, max_length=64)
    base_currency: Currency | None = None


class ApiTokenCreate(RequestBody):
    """A personal API token for the mobile app or the CLI."""

    name: str = Field(min_length=1, max_length=100)
    scopes: list[TokenScope] = Field(min_length=1)
    expires_at: Timestamp | None = None


class ApiToken(ResponseBody):
    """A personal API token as listed: never the secret itself."""

    id: UUID
    name: str
    scopes: list[TokenScope]
    created_at: Timestamp
    expires_at: Timestamp | None = None
    last_used_at: Timestamp | None = None
    revoked_at: Timestamp | None = None


class ApiTokenList(ResponseBody):
    """The trader's personal API tokens, newest first, without their secrets."""

    items: list[ApiToken]


class ApiTokenCreated(ApiToken):
    """The one response that carries the token; it is stored hashed and never shown again."""

    token: str


class ServiceTokenRequest(RequestBody):
    """Client credentials of a service (edge, workers, ai-coach) for core's internal API."""

    client_id: str = Field(min_length=1, max_length=64)
    client_secret: SecretStr


class ServiceToken(ResponseBody):
    """An access JWT whose audience is the internal API only."""

    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int
