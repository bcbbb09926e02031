"""Broker API connections. Secrets go in, never come out (except sealed, to workers)."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import Field, SecretStr, StringConstraints

from ._base import RequestBody, ResponseBody, Timestamp

BrokerConnectionStatus = Literal["active", "broken", "revoked"]
BrokerEnvironment = Literal["paper", "live"]
SealedSecretKind = Literal["api_key_id", "api_secret", "access_token", "refresh_token"]
"""The secrets a connection may hold; each is sealed with this kind in its SealContext."""

SEALING_PURPOSE = "broker-connection"
"""The SealContext purpose of every broker connection secret."""

SealedBlob = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]+={0,2}$", max_length=16384)]
"""A sealed blob from `tradeloop_contracts.sealing`, base64url encoded."""

StatusCode = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_.-]*$", max_length=64)]
"""A machine-readable reason such as `token_revoked`: a code, never free text or a secret."""


class BrokerConnectionCreate(RequestBody):
    """Connect a broker API with an API key pair or an OAuth authorisation code."""

    broker: Literal["alpaca"]
    environment: BrokerEnvironment = "paper"
    label: str = Field(min_length=1, max_length=100)
    account_id: UUID
    api_key_id: SecretStr | None = None
    api_secret: SecretStr | None = None
    oauth_code: SecretStr | None = None


class BrokerConnection(ResponseBody):
    """A connection's state and its last sync; the credentials stay sealed in core."""

    id: UUID
    broker: str
    environment: str
    label: str
    account_id: UUID
    status: BrokerConnectionStatus
    status_detail: str | None = None
    last_synced_at: Timestamp | None = None
    created_at: Timestamp


class BrokerConnectionList(ResponseBody):
    """Every connection of the trader."""

    items: list[BrokerConnection]


class DueBrokerConnection(ResponseBody):
    """Internal: a connection whose sync is due, for workers."""

    connection_id: UUID
    user_id: UUID
    account_id: UUID
    broker: str
    environment: BrokerEnvironment
    last_synced_at: Timestamp | None = None


class DueBrokerConnectionList(ResponseBody):
    """Internal: the connections to sync now, most overdue first."""

    items: list[DueBrokerConnection]


class SealedBrokerCredentials(ResponseBody):
    """Internal, service token only: a connection's secrets, still sealed, and its sync cursor.

    Each blob opens with `SealContext(purpose="broker-connection", user_id, connection_id,
    kind)`, where `kind` is its key in `secrets`; workers open them in memory for one call.
    """

    connection_id: UUID
    user_id: UUID
    account_id: UUID
    broker: str
    environment: BrokerEnvironment
    secrets: dict[str, SealedBlob] = Field(
        description="Secret kind (api_key_id, api_secret, access_token, refresh_token) "
        "to its sealed blob, base64url."
    )
    cursor: str | None = Field(default=None, max_length=512, description="Opaque to core.")


class BrokerSyncUpdate(RequestBody):
    """Internal: a worker's report after syncing a connection. Core seals refreshed tokens."""

    status: BrokerConnectionStatus
    status_detail: StatusCode | None = None
    last_synced_at: Timestamp | None = None
    cursor: str | None = Field(default=None, max_length=512)
    executions: int = Field(default=0, ge=0, description="New executions sent in this sync.")
    access_token: SecretStr | None = Field(default=None, max_length=8192)
    refresh_token: SecretStr | None = Field(default=None, max_length=8192)
