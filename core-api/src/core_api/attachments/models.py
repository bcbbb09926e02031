"""Attachments: a picture stored in the object store, owned by a position or a journal entry."""

from __future__ import annotations

import uuid

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from core_api.kit.models import Entity


class AttachmentRecord(Entity):
    __tablename__ = "attachments"
    __table_args__ = (
        # Exactly one owner; the row goes with it (ON DELETE CASCADE).
        CheckConstraint("(position_id IS NULL) <> (journal_entry_id IS NULL)", name="one_owner"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    position_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("positions.id", ondelete="CASCADE"), index=True
    )
    journal_entry_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("journal_entries.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int]
    width: Mapped[int]
    height: Mapped[int]
    object_key: Mapped[str] = mapped_column(String(255))
    thumbnail_key: Mapped[str] = mapped_column(String(255))
    thumbnail_content_type: Mapped[str] = mapped_column(String(64))
