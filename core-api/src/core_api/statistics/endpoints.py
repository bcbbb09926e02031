"""Dashboard statistics."""

from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

from fastapi import APIRouter
from tradeloop_contracts import Statistics

from core_api.accounts.repository import AccountRepository
from core_api.db import DbSession
from core_api.errors import AppError, FieldError
from core_api.identity.dependencies import CurrentUser
from core_api.identity.service import get_user
from core_api.positions.repository import PositionRepository
from core_api.statistics.calculations import ClosedTrade, compute

router = APIRouter(tags=["statistics"])


@router.get("/v1/statistics")
def get_statistics(
    user: CurrentUser,
    session: DbSession,
    account_id: uuid.UUID | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> Statistics:
    """Statistics of closed positions, by trading day in each account's time zone."""
    if start is not None and end is not None and start > end:
        raise AppError(422, "Invalid request", errors=[FieldError("query.start", "is after end")])
    accounts = AccountRepository(session, user.id)
    if account_id is not None:
        currency = accounts.get(account_id).base_currency
    else:
        currency = get_user(session, user.id).base_currency
    zones = {account.id: ZoneInfo(account.time_zone) for account in accounts.list()}
    trades = []
    for position in PositionRepository(session, user.id).closed(account_id):
        assert position.closed_at is not None
        assert position.outcome is not None
        day = position.closed_at.astimezone(zones[position.account_id]).date()
        if (start and day < start) or (end and day > end):
            continue
        trades.append(
            ClosedTrade(
                day=day,
                net=position.realised_pnl_net,
                gross=position.realised_pnl_gross,
                fees=position.fees,
                outcome=position.outcome,  # type: ignore[arg-type]
            )
        )
    return compute(trades, currency, start, end)
