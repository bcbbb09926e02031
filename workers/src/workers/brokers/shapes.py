"""Core's broker connection bodies, as contracts 1.2.0 defines them.

Held here until the workers pin reaches contracts 1.2.0, then imported from there.
"""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, SecretStr

BrokerConnectionStatus = Literal["active", "broken", "revoked"]
BrokerEnvironment = Literal["paper", "live"]
SEALING_PURPOSE = "broker-connection"


class DueBrokerConnection(BaseModel):
    connection_id: UUID
    user_id: UUID
    account_id: UUID
    broker: str
    environment: BrokerEnvironment
    last_synced_at: AwareDatetime | None = None


class DueBrokerConnectionList(BaseModel):
    items: list[DueBrokerConnection]


class SealedBrokerCredentials(BaseModel):
    connection_id: UUID
    user_id: UUID
    account_id: UUID
    broker: str
    environment: BrokerEnvironment
    secrets: dict[str, str]
    cursor: str | None = Field(default=None, max_length=512)


class BrokerSyncUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: BrokerConnectionStatus
    status_detail: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_.-]*$")
    last_synced_at: AwareDatetime | None = None
    cursor: str | None = Field(default=None, max_length=512)
    executions: int = Field(default=0, ge=0)
    access_token: SecretStr | None = None
    refresh_token: SecretStr | None = None
