"""Saved column mappings and the previews of imports that wait for one."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core_api.kit.models import Entity


class SavedColumnMappingRecord(Entity):
    __tablename__ = "column_mappings"
    __table_args__ = (UniqueConstraint("account_id", "name"),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    mapping: Mapped[dict[str, Any]]


class ImportPreviewRecord(Entity):
    """The first rows of a generic CSV whose import waits for the trader's column mapping."""

    __tablename__ = "import_previews"

    import_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("imports.id", ondelete="CASCADE"), unique=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    preview: Mapped[dict[str, Any]]
