"""Dashboard statistics."""

from __future__ import annotations

import datetime as dt
import uuid

from fastapi import APIRouter
from tradeloop_contracts import Statistics

from core_api.accounts.repository import AccountRepository
from core_api.db import DbSession
from core_api.errors import AppError, FieldError
from core_api.identity.dependencies import CurrentUser
from core_api.identity.service import get_user
from core_api.statistics.calculations import compute_from_days
from core_api.statistics.read_model import day_totals

router = APIRouter(tags=["statistics"])


@router.get("/v1/statistics")
def get_statistics(
    user: CurrentUser,
    session: DbSession,
    account_id: uuid.UUID | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> Statistics:
    """Statistics of positions closed on the trading days from start to end (inclusive)."""
    if start is not None and end is not None and start > end:
        raise AppError(422, "Invalid request", errors=[FieldError("query.start", "is after end")])
    if account_id is not None:
        currency = AccountRepository(session, user.id).get(account_id).base_currency
    else:
        currency = get_user(session, user.id).base_currency
    days = day_totals(session, user.id, account_id, start, end)
    return compute_from_days(days, currency, start, end)
