"""`GET /v1/reviews/latest`: the weekly review, computed on request."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request

from ai_coach.analytics import trading_day
from ai_coach.analytics.endpoints import resolve_time_zone
from ai_coach.auth import CurrentUser
from ai_coach.contracts.problem import Problem
from ai_coach.core import CoreClient
from ai_coach.positions import trades_by_currency
from ai_coach.reflections.themes import tag_entries, week_of
from ai_coach.reviews.weekly import WeeklyReview, build_review

router = APIRouter(prefix="/v1", tags=["reviews"])


@router.get(
    "/reviews/latest",
    response_model=WeeklyReview,
    responses={401: {"model": Problem}, 422: {"model": Problem}, 502: {"model": Problem}},
)
async def latest_review(
    request: Request,
    user: CurrentUser,
    week: dt.date | None = None,
    time_zone: str | None = None,
) -> WeeklyReview:
    """The review of the week containing `week`, or of the last full week before today."""
    zone_name = time_zone or request.app.state.settings.time_zone
    zone = resolve_time_zone(zone_name)
    if week is None:
        week = week_of(trading_day(dt.datetime.now(dt.UTC), zone)) - dt.timedelta(weeks=1)
    core: CoreClient = request.app.state.core
    positions = await core.list_closed_positions(user.id)
    entries = await core.list_journal_entries(user.id)
    return build_review(
        trades_by_currency(positions), tag_entries(entries, zone), week_of(week), zone
    )
