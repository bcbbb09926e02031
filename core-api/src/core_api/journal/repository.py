"""Every journal query, scoped to one trader."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from core_api.journal.models import JournalEntryRecord
from core_api.kit.pagination import Cursor


@dataclass(frozen=True)
class JournalRepository:
    session: Session
    user_id: uuid.UUID

    def page(
        self,
        cursor: Cursor | None,
        limit: int,
        position_id: uuid.UUID | None = None,
        day: dt.date | None = None,
    ) -> Sequence[JournalEntryRecord]:
        """Up to `limit` entries after `cursor`, newest first."""
        statement = select(JournalEntryRecord).where(JournalEntryRecord.user_id == self.user_id)
        if position_id is not None:
            statement = statement.where(JournalEntryRecord.position_id == position_id)
        if day is not None:
            statement = statement.where(JournalEntryRecord.day == day)
        if cursor is not None:
            statement = statement.where(
                or_(
                    JournalEntryRecord.created_at < cursor.at,
                    and_(
                        JournalEntryRecord.created_at == cursor.at,
                        JournalEntryRecord.id < cursor.id,
                    ),
                )
            )
        statement = statement.order_by(
            JournalEntryRecord.created_at.desc(), JournalEntryRecord.id.desc()
        )
        return self.session.scalars(statement.limit(limit)).all()

    def add(self, entry: JournalEntryRecord) -> JournalEntryRecord:
        entry.user_id = self.user_id
        self.session.add(entry)
        self.session.flush()
        return entry
