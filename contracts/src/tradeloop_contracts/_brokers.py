"""Broker API connections. Secrets go in, never come out."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import Field, SecretStr

from ._base import RequestBody, ResponseBody, Timestamp

BrokerConnectionStatus = Literal["active", "broken", "revoked"]


class BrokerConnectionCreate(RequestBody):
    """Connect a broker API with an API key pair or an OAuth authorisation code."""

    broker: Literal["alpaca"]
    environment: Literal["paper", "live"] = "paper"
    label: str = Field(min_length=1, max_length=100)
    account_id: UUID
    api_key_id: SecretStr | None = None
    api_secret: SecretStr | None = None
    oauth_code: SecretStr | None = None


class BrokerConnection(ResponseBody):
    """A connection's state; the credentials stay sealed in core."""

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
