"""Reading multi-leg strategies."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Query
from tradeloop_contracts import PositionStatus, Strategy, StrategyPage

from core_api.accounts.repository import AccountRepository
from core_api.db import DbSession
from core_api.errors import AppError, FieldError
from core_api.identity.dependencies import CurrentUser
from core_api.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT, Cursor
from core_api.positions.service import to_position
from core_api.strategies.models import StrategyRecord
from core_api.strategies.repository import StrategyFilters, StrategyRepository
from core_api.strategies.service import to_strategy

router = APIRouter(tags=["strategies"])


def _described(repository: StrategyRepository, records: Sequence[StrategyRecord]) -> list[Strategy]:
    ids = [record.id for record in records]
    legs = repository.legs(ids)
    rolled_to = repository.rolled_to(ids)
    return [
        to_strategy(
            record,
            [to_position(leg) for leg in legs.get(record.id, [])],
            rolled_to.get(record.id),
        )
        for record in records
    ]


@router.get("/v1/strategies")
def list_strategies(
    user: CurrentUser,
    session: DbSession,
    account_id: uuid.UUID | None = None,
    status: PositionStatus | None = None,
    underlying: Annotated[str | None, Query(min_length=1, max_length=32)] = None,
    start: Annotated[
        dt.date | None, Query(description="First trading day the strategy opened on.")
    ] = None,
    end: Annotated[
        dt.date | None, Query(description="Last trading day the strategy opened on.")
    ] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> StrategyPage:
    """The trader's multi-leg strategies, filtered, most recently opened first."""
    if start is not None and end is not None and start > end:
        raise AppError(422, "Invalid request", errors=[FieldError("query.start", "is after end")])
    if account_id is not None:
        AccountRepository(session, user.id).get(account_id)
    repository = StrategyRepository(session, user.id)
    filters = StrategyFilters(account_id, status, underlying, start, end)
    records = repository.page(filters, Cursor.decode(cursor) if cursor else None, limit + 1)
    items = records[:limit]
    next_cursor = (
        Cursor(items[-1].opened_at, items[-1].id).encode() if len(records) > limit else None
    )
    return StrategyPage(items=_described(repository, items), next_cursor=next_cursor)


@router.get("/v1/strategies/{strategy_id}")
def get_strategy(strategy_id: uuid.UUID, user: CurrentUser, session: DbSession) -> Strategy:
    """One strategy with its legs and the strategies it was rolled from and to."""
    repository = StrategyRepository(session, user.id)
    [strategy] = _described(repository, [repository.get(strategy_id)])
    return strategy
