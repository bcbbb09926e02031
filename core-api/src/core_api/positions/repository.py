"""Every position query, scoped to one trader."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, exists, func, or_, select
from sqlalchemy.orm import Session

from core_api.errors import NotFoundError
from core_api.executions.models import ExecutionRecord
from core_api.plans.models import ViolationRecord
from core_api.playbooks.models import PositionPlaybookRecord
from core_api.positions.listing import PositionCursor, PositionFilters, after_cursor, order_by
from core_api.positions.models import PositionFillRecord, PositionRecord, PositionTagRecord


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

    def get_many(
        self, position_ids: Sequence[uuid.UUID], *, for_update: bool = False
    ) -> Sequence[PositionRecord]:
        """The trader's positions among `position_ids` (someone else's are left out).

        `for_update` holds the rows until the transaction ends (PostgreSQL), taken in id
        order so two writers of overlapping sets never wait on each other in a cycle.
        """
        statement = (
            select(PositionRecord)
            .where(PositionRecord.id.in_(position_ids), PositionRecord.user_id == self.user_id)
            .order_by(PositionRecord.id)
        )
        if for_update:
            statement = statement.with_for_update()
        return self.session.scalars(statement).all()

    def page(
        self,
        filters: PositionFilters,
        sort: str,
        cursor: PositionCursor | None,
        limit: int,
    ) -> Sequence[PositionRecord]:
        """Up to `limit` positions that pass `filters`, after `cursor`, in `sort` order."""
        dialect = self.session.get_bind().dialect.name
        statement = select(PositionRecord).where(
            PositionRecord.user_id == self.user_id, *_conditions(filters, self.user_id)
        )
        if cursor is not None:
            statement = statement.where(after_cursor(cursor, dialect))
        statement = statement.order_by(*order_by(sort, dialect))
        return self.session.scalars(statement.limit(limit)).all()

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


def expire_held(session: Session, position_ids: set[uuid.UUID]) -> None:
    """Positions the session already holds are read again: their rows were rewritten or gone."""
    for held in list(session.identity_map.values()):
        if isinstance(held, PositionRecord) and held.id in position_ids:
            session.expire(held)


def _conditions(filters: PositionFilters, user_id: uuid.UUID) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.status is not None:
        conditions.append(PositionRecord.status == filters.status)
    if filters.account_id is not None:
        conditions.append(PositionRecord.account_id == filters.account_id)
    if filters.start is not None:
        conditions.append(PositionRecord.opened_day >= filters.start)
    if filters.end is not None:
        conditions.append(PositionRecord.opened_day <= filters.end)
    if filters.symbol is not None:
        symbol = filters.symbol.upper()
        conditions.append(
            or_(func.upper(PositionRecord.symbol) == symbol, PositionRecord.underlying == symbol)
        )
    if filters.direction is not None:
        conditions.append(PositionRecord.direction == filters.direction)
    if filters.asset_class is not None:
        conditions.append(PositionRecord.asset_class == filters.asset_class)
    if filters.outcome is not None:
        conditions.append(PositionRecord.outcome == filters.outcome)
    if filters.tag is not None:
        conditions.append(
            exists().where(
                PositionTagRecord.position_id == PositionRecord.id,
                PositionTagRecord.name == filters.tag.lower(),
            )
        )
    if filters.rule_id is not None:
        conditions.append(
            PositionRecord.id.in_(
                select(ViolationRecord.position_id).where(
                    ViolationRecord.user_id == user_id, ViolationRecord.rule_id == filters.rule_id
                )
            )
        )
    if filters.playbook_id is not None:
        conditions.append(
            PositionRecord.id.in_(
                select(PositionPlaybookRecord.position_id).where(
                    PositionPlaybookRecord.playbook_id == filters.playbook_id
                )
            )
        )
    return conditions
