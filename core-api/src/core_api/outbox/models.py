"""Outbox rows, numbered in commit order by their sequence."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core_api.kit.clock import utcnow
from core_api.kit.models import Base


class OutboxRecord(Base):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_unsent", "sent_at", "sequence"),)

    # BigInteger on PostgreSQL; SQLite only auto-increments an INTEGER primary key.
    sequence: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    event_type: Mapped[str] = mapped_column(String(100))
    user_id: Mapped[uuid.UUID]
    event: Mapped[dict[str, Any]]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[dt.datetime | None]
    sent_at: Mapped[dt.datetime | None]
