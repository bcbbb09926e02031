"""Broker connections and their sealed secrets."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core_api.kit.models import Entity


class BrokerConnectionRecord(Entity):
    __tablename__ = "broker_connections"
    __table_args__ = (Index("ix_broker_connections_status_synced", "status", "last_synced_at"),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    broker: Mapped[str] = mapped_column(String(32))
    environment: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16))
    status_detail: Mapped[str | None] = mapped_column(String(64))
    last_synced_at: Mapped[dt.datetime | None]
    # The trader asked for a sync now: due at once, whatever the interval says.
    sync_requested_at: Mapped[dt.datetime | None]
    # Opaque to core: where the broker's feed continues.
    cursor: Mapped[str | None] = mapped_column(String(512))


class BrokerSecretRecord(Entity):
    """One sealed secret of a connection; its kind is part of what the blob is bound to."""

    __tablename__ = "broker_secrets"
    __table_args__ = (UniqueConstraint("connection_id", "kind"),)

    connection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("broker_connections.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(32))
    blob: Mapped[bytes] = mapped_column(LargeBinary)
