"""Every import query, scoped to one trader."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from core_api.errors import NotFoundError
from core_api.imports.models import ImportRecord
from core_api.kit.pagination import Cursor


@dataclass(frozen=True)
class ImportRepository:
    session: Session
    user_id: uuid.UUID

    def get(
        self, import_id: uuid.UUID, *, for_update: bool = False, for_share: bool = False
    ) -> ImportRecord:
        """The trader's import; NotFoundError when it is missing or someone else's.

        `for_update` holds the row until the transaction ends, `for_share` keeps only
        writers out (PostgreSQL; SQLite's write lock already serialises writers).
        """
        statement = select(ImportRecord).where(
            ImportRecord.id == import_id, ImportRecord.user_id == self.user_id
        )
        if for_update or for_share:
            statement = statement.with_for_update(read=not for_update)
        record = self.session.scalar(statement)
        if record is None:
            raise NotFoundError("import")
        return record

    def page(
        self, cursor: Cursor | None, limit: int, account_id: uuid.UUID | None = None
    ) -> Sequence[ImportRecord]:
        """Up to `limit` imports after `cursor`, newest first; of one account when given."""
        statement = select(ImportRecord).where(ImportRecord.user_id == self.user_id)
        if account_id is not None:
            statement = statement.where(ImportRecord.account_id == account_id)
        if cursor is not None:
            statement = statement.where(
                or_(
                    ImportRecord.created_at < cursor.at,
                    and_(ImportRecord.created_at == cursor.at, ImportRecord.id < cursor.id),
                )
            )
        statement = statement.order_by(ImportRecord.created_at.desc(), ImportRecord.id.desc())
        return self.session.scalars(statement.limit(limit)).all()

    def add(self, record: ImportRecord) -> ImportRecord:
        record.user_id = self.user_id
        self.session.add(record)
        self.session.flush()
        return record
