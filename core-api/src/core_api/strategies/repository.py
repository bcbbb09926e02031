"""Every strategy query, scoped to one trader."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from core_api.errors import NotFoundError
from core_api.kit.pagination import Cursor
from core_api.positions.models import PositionRecord
from core_api.strategies.models import StrategyRecord


@dataclass(frozen=True)
class StrategyFilters:
    """What a strategy list keeps; None keeps everything. Days are trading days the
    strategy opened on, inclusive."""

    account_id: uuid.UUID | None = None
    status: str | None = None
    underlying: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None


@dataclass(frozen=True)
class StrategyRepository:
    session: Session
    user_id: uuid.UUID

    def get(self, strategy_id: uuid.UUID) -> StrategyRecord:
        """The trader's strategy; NotFoundError when it is missing or someone else's."""
        record = self.session.scalar(
            select(StrategyRecord).where(
                StrategyRecord.id == strategy_id, StrategyRecord.user_id == self.user_id
            )
        )
        if record is None:
            raise NotFoundError("strategy")
        return record

    def page(
        self, filters: StrategyFilters, cursor: Cursor | None, limit: int
    ) -> Sequence[StrategyRecord]:
        """Up to `limit` strategies that pass `filters`, after `cursor`, newest opened first."""
        statement = select(StrategyRecord).where(
            StrategyRecord.user_id == self.user_id, *_conditions(filters)
        )
        if cursor is not None:
            statement = statement.where(
                or_(
                    StrategyRecord.opened_at < cursor.at,
                    and_(StrategyRecord.opened_at == cursor.at, StrategyRecord.id < cursor.id),
                )
            )
        statement = statement.order_by(StrategyRecord.opened_at.desc(), StrategyRecord.id.desc())
        return self.session.scalars(statement.limit(limit)).all()

    def legs(self, strategy_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[PositionRecord]]:
        """The positions of each of these strategies."""
        legs: dict[uuid.UUID, list[PositionRecord]] = {}
        for record in self.session.scalars(
            select(PositionRecord).where(
                PositionRecord.strategy_id.in_(strategy_ids),
                PositionRecord.user_id == self.user_id,
            )
        ):
            assert record.strategy_id is not None
            legs.setdefault(record.strategy_id, []).append(record)
        return legs

    def rolled_to(self, strategy_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
        """The strategy each of these was rolled into, where one was."""
        found: dict[uuid.UUID, uuid.UUID] = {}
        for successor, rolled_from in self.session.execute(
            select(StrategyRecord.id, StrategyRecord.rolled_from_id).where(
                StrategyRecord.rolled_from_id.in_(strategy_ids),
                StrategyRecord.user_id == self.user_id,
            )
        ):
            assert rolled_from is not None
            found[rolled_from] = successor
        return found


def _conditions(filters: StrategyFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.account_id is not None:
        conditions.append(StrategyRecord.account_id == filters.account_id)
    if filters.status is not None:
        conditions.append(StrategyRecord.status == filters.status)
    if filters.underlying is not None:
        conditions.append(func.upper(StrategyRecord.underlying) == filters.underlying.upper())
    if filters.start is not None:
        conditions.append(StrategyRecord.opened_day >= filters.start)
    if filters.end is not None:
        conditions.append(StrategyRecord.opened_day <= filters.end)
    return conditions
