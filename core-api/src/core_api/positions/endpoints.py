"""Reading positions."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from tradeloop_contracts import PositionDetail, PositionPage, PositionStatus

from core_api.accounts.repository import AccountRepository
from core_api.db import DbSession
from core_api.executions.service import to_executions
from core_api.identity.dependencies import CurrentUser, ServiceCaller
from core_api.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT, Cursor
from core_api.positions.repository import PositionRepository
from core_api.positions.service import position_fields, to_position

public = APIRouter(tags=["positions"])
internal = APIRouter(tags=["positions"])

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]


def _page(
    repository: PositionRepository,
    cursor: str | None,
    limit: int,
    status: PositionStatus | None,
    account_id: uuid.UUID | None,
) -> PositionPage:
    after = Cursor.decode(cursor) if cursor else None
    records = repository.page(after, limit + 1, status=status, account_id=account_id)
    items = records[:limit]
    next_cursor = (
        Cursor(items[-1].opened_at, items[-1].id).encode() if len(records) > limit else None
    )
    return PositionPage(items=[to_position(record) for record in items], next_cursor=next_cursor)


@public.get("/v1/positions")
def list_positions(
    user: CurrentUser,
    session: DbSession,
    status: PositionStatus | None = None,
    account_id: uuid.UUID | None = None,
    cursor: str | None = None,
    limit: Limit = DEFAULT_LIMIT,
) -> PositionPage:
    """The trader's positions, most recently opened first."""
    if account_id is not None:
        AccountRepository(session, user.id).get(account_id)
    return _page(PositionRepository(session, user.id), cursor, limit, status, account_id)


@public.get("/v1/positions/{position_id}")
def get_position(position_id: uuid.UUID, user: CurrentUser, session: DbSession) -> PositionDetail:
    """One position with its executions."""
    repository = PositionRepository(session, user.id)
    record = repository.get(position_id)
    executions = to_executions(repository.executions(record.id), record.id)
    return PositionDetail.model_validate({**position_fields(record), "executions": executions})


@internal.get("/internal/users/{user_id}/positions")
def list_positions_for_service(
    user_id: uuid.UUID,
    _caller: ServiceCaller,
    session: DbSession,
    status: PositionStatus | None = None,
    cursor: str | None = None,
    limit: Limit = DEFAULT_LIMIT,
) -> PositionPage:
    """A trader's positions, most recently opened first."""
    return _page(PositionRepository(session, user_id), cursor, limit, status, None)
