"""Every position query, scoped to one trader."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from core_api.errors import NotFoundError
from core_api.executions.models import ExecutionRecord
from core_api.kit.pagination import Cursor
from core_api.positions.models import PositionFillRecord, PositionRecord


@dataclass(frozen=True)
class PositionRepository:
    session: Session
    user_id: uuid.UUID

    def get(self, position_id: uuid.UUID) -> PositionRecord:
        """The trader's position; NotFoundError when it is missing or someone else's."""
        record = self.session.scalar(
            select(PositionRecord).where(
                PositionRecord.id == position_id, PositionRecord.user_id == self.user_id
            )
        )
        if record is None:
            raise NotFoundError("position")
        return record

    def page(
        self,
        cursor: Cursor | None,
        limit: int,
        status: str | None = None,
        account_id: uuid.UUID | None = None,
    ) -> Sequence[PositionRecord]:
        """Up to `limit` positions after `cursor`, most recently opened first."""
        statement = select(PositionRecord).where(PositionRecord.user_id == self.user_id)
        if status is not None:
            statement = statement.where(PositionRecord.status == status)
        if account_id is not None:
            statement = statement.where(PositionRecord.account_id == account_id)
        if cursor is not None:
            statement = statement.where(
                or_(
                    PositionRecord.opened_at < cursor.at,
                    and_(PositionRecord.opened_at == cursor.at, PositionRecord.id < cursor.id),
                )
            )
        statement = statement.order_by(PositionRecord.opened_at.desc(), PositionRecord.id.desc())
        return self.session.scalars(statement.limit(limit)).all()

    def closed(self, account_id: uuid.UUID | None = None) -> Sequence[PositionRecord]:
        """Every closed position, in the order they closed."""
        statement = select(PositionRecord).where(
            PositionRecord.user_id == self.user_id, PositionRecord.status == "closed"
        )
        if account_id is not None:
            statement = statement.where(PositionRecord.account_id == account_id)
        return self.session.scalars(
            statement.order_by(PositionRecord.closed_at, PositionRecord.id)
        ).all()

    def executions(self, position_id: uuid.UUID) -> Sequence[ExecutionRecord]:
        """The executions of one of the trader's positions, in time order."""
        return self.session.scalars(
            select(ExecutionRecord)
            .join(PositionFillRecord, PositionFillRecord.execution_id == ExecutionRecord.id)
            .where(
                PositionFillRecord.position_id == position_id,
                ExecutionRecord.user_id == self.user_id,
            )
            .order_by(ExecutionRecord.executed_at, ExecutionRecord.recorded_order)
        ).all()
