"""A position's price bars: workers store them, the chart reads them."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from tradeloop_contracts import PositionBars

from core_api.bars.service import position_bars, store_bars
from core_api.db import DbSession
from core_api.identity.dependencies import CurrentUser, ServiceCaller
from core_api.positions.repository import PositionRepository

public = APIRouter(tags=["positions"])
internal = APIRouter(tags=["positions"])


@public.get("/v1/positions/{position_id}/bars")
def get_position_bars(
    position_id: uuid.UUID, user: CurrentUser, session: DbSession
) -> PositionBars:
    """The price bars over the position's life; an empty series until workers fetched them."""
    return position_bars(session, PositionRepository(session, user.id).get(position_id))


@internal.put("/internal/users/{user_id}/positions/{position_id}/bars", status_code=204)
def put_position_bars(
    user_id: uuid.UUID,
    position_id: uuid.UUID,
    body: PositionBars,
    _caller: ServiceCaller,
    session: DbSession,
) -> None:
    """Store (replace) the bars a worker fetched for a position."""
    store_bars(session, PositionRepository(session, user_id).get(position_id), body)
