"""Import jobs."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from core_api.kit.models import Base, Entity

# An import in one of these states has settled; what it reports again changes nothing.
FINISHED = ("completed", "failed")


class ImportRecord(Entity):
    __tablename__ = "imports"
    __table_args__ = (Index("ix_imports_user_created", "user_id", "created_at", "id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255))
    object_key: Mapped[str] = mapped_column(String(512))
    format: Mapped[str] = mapped_column(String(32))
    detected_format: Mapped[str | None] = mapped_column(String(32))
    mode: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    size_bytes: Mapped[int]
    rows_processed: Mapped[int] = mapped_column(default=0)
    rows_total: Mapped[int | None]
    new_count: Mapped[int] = mapped_column(default=0)
    duplicate_count: Mapped[int] = mapped_column(default=0)
    rejected_count: Mapped[int] = mapped_column(default=0)
    rejected_rows: Mapped[list[Any]] = mapped_column(default=list)
    error: Mapped[str | None] = mapped_column(String(2000))
    # The ColumnMapping a generic CSV is read with (ImportJob.mapping), when the trader chose one.
    mapping: Mapped[dict[str, Any] | None]
    # Where the file's times carry no offset, they are read in this zone (None: uploaded
    # before imports recorded one; the workers' default zone applied).
    time_zone: Mapped[str | None] = mapped_column(String(64))
    finished_at: Mapped[dt.datetime | None]
    # When the trader undid it: the executions only it brought are gone.
    undone_at: Mapped[dt.datetime | None]


class ImportDuplicateRecord(Base):
    """A row of an import that matched an execution another import (or a sync) brought:
    the execution stays while any import that brought it is not undone.

    Written only for duplicates, where a batch's insert skips a fill already held.
    """

    __tablename__ = "import_duplicates"

    import_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("imports.id", ondelete="CASCADE"), primary_key=True
    )
    execution_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("executions.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class SyncDuplicateRecord(Base):
    """An execution an import brought that a broker sync then reported again: undoing the
    import keeps it, credited to the sync unless another import also brought it."""

    __tablename__ = "sync_duplicates"

    execution_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("executions.id", ondelete="CASCADE"), primary_key=True
    )
