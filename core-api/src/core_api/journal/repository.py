"""Every journal query, scoped to one trader."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, delete, exists, or_, select
from sqlalchemy.orm import Session

from core_api.errors import NotFoundError
from core_api.journal.models import JournalEntryRecord, JournalEntryTagRecord
from core_api.kit.pagination import Cursor
from core_api.positions.models import PositionRecord


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
        text: str | None = None,
        tag: str | None = None,
        account_id: uuid.UUID | None = None,
    ) -> Sequence[JournalEntryRecord]:
        """Up to `limit` entries after `cursor`, newest first.

        `text` keeps entries whose markdown contains it (any case); `tag` those tagged with it;
        `account_id` those of the account (see `_of_account`).
        """
        statement = select(JournalEntryRecord).where(JournalEntryRecord.user_id == self.user_id)
        if account_id is not None:
            statement = statement.where(_of_account(self.user_id, account_id))
        if position_id is not None:
            statement = statement.where(JournalEntryRecord.position_id == position_id)
        if day is not None:
            statement = statement.where(JournalEntryRecord.day == day)
        if text is not None:
            statement = statement.where(
                JournalEntryRecord.body.ilike(f"%{_escape_like(text)}%", escape="\\")
            )
        if tag is not None:
            statement = statement.where(
                exists().where(
                    JournalEntryTagRecord.entry_id == JournalEntryRecord.id,
                    JournalEntryTagRecord.name == tag.strip().lower(),
                )
            )
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

    def get(self, entry_id: uuid.UUID) -> JournalEntryRecord:
        """The trader's entry; NotFoundError when it is missing or someone else's."""
        record = self.session.scalar(
            select(JournalEntryRecord).where(
                JournalEntryRecord.id == entry_id, JournalEntryRecord.user_id == self.user_id
            )
        )
        if record is None:
            raise NotFoundError("journal entry")
        return record

    def add(self, entry: JournalEntryRecord) -> JournalEntryRecord:
        entry.user_id = self.user_id
        self.session.add(entry)
        self.session.flush()
        self._index_tags(entry)
        return entry

    def save(self, entry: JournalEntryRecord) -> JournalEntryRecord:
        """Flushes a changed entry and re-indexes its tags."""
        self.session.execute(
            delete(JournalEntryTagRecord).where(JournalEntryTagRecord.entry_id == entry.id)
        )
        self.session.flush()
        self._index_tags(entry)
        return entry

    def _index_tags(self, entry: JournalEntryRecord) -> None:
        self.session.add_all(
            JournalEntryTagRecord(entry_id=entry.id, name=tag.lower()) for tag in entry.tags
        )
        self.session.flush()


def _of_account(user_id: uuid.UUID, account_id: uuid.UUID) -> ColumnElement[bool]:
    """An entry on a position belongs to the position's account. An entry on a day alone
    belongs to no account, so it is shown with every account that traded that day (had a
    position open or close on it)."""
    mine = and_(PositionRecord.user_id == user_id, PositionRecord.account_id == account_id)
    on_position = JournalEntryRecord.position_id.in_(select(PositionRecord.id).where(mine))
    traded_day = or_(
        JournalEntryRecord.day.in_(select(PositionRecord.opened_day).where(mine)),
        JournalEntryRecord.day.in_(select(PositionRecord.closed_day).where(mine)),
    )
    return or_(on_position, and_(JournalEntryRecord.position_id.is_(None), traded_day))


def _escape_like(text: str) -> str:
    # The trader searches for the characters they typed, `%` and `_` included.
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
