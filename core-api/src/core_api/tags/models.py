"""The trader's tags."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core_api.kit.models import Entity


class TagRecord(Entity):
    """A tag; `key` is the lower-case name, unique per trader."""

    __tablename__ = "tags"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(50))
    key: Mapped[str] = mapped_column(String(50))
    kind: Mapped[str] = mapped_column(String(8))
