"""Journal entries."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core_api.kit.models import Base, Entity


class JournalEntryRecord(Entity):
    __tablename__ = "journal_entries"
    __table_args__ = (Index("ix_journal_entries_user_created", "user_id", "created_at", "id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    day: Mapped[dt.date | None]
    position_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("positions.id", ondelete="SET NULL"), index=True
    )
    body: Mapped[str] = mapped_column(Text)
    mood: Mapped[int | None]
    tags: Mapped[list[str]] = mapped_column(default=list)


class JournalEntryTagRecord(Base):
    """One tag of an entry, lower case, so entries filter by tag on both databases."""

    __tablename__ = "journal_entry_tags"

    entry_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("journal_entries.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(50), primary_key=True, index=True)
