"""`GET /v1/reviews/latest` (computed on request) and the scheduler's route that stores one."""

from __future__ import annotations

import datetime as dt
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from tradeloop_contracts.telemetry import bind_user

from ai_coach.analytics import trading_day
from ai_coach.analytics.endpoints import resolve_time_zone
from ai_coach.auth import CurrentService, CurrentUser
from ai_coach.contracts.problem import Problem
from ai_coach.contracts.weekly_review import WeeklyReview as StoredReview
from ai_coach.contracts.weekly_review_create import WeeklyReviewReport
from ai_coach.core import CoreClient
from ai_coach.errors import ForbiddenError
from ai_coach.reflections.themes import week_of
from ai_coach.reviews.publishing import compute_review, publish_weekly_review

router = APIRouter(prefix="/v1", tags=["reviews"])
internal_router = APIRouter(prefix="/internal", tags=["internal"])
# Services allowed to have reviews stored: the scheduler runs in workers.
REVIEW_CALLERS = ("workers",)


def last_full_week(zone: ZoneInfo) -> dt.date:
    """The Monday of the last full week before today in the zone."""
    return week_of(trading_day(dt.datetime.now(dt.UTC), zone)) - dt.timedelta(weeks=1)


@router.get(
    "/reviews/latest",
    response_model=WeeklyReviewReport,
    responses={401: {"model": Problem}, 422: {"model": Problem}, 502: {"model": Problem}},
)
async def latest_review(
    request: Request,
    user: CurrentUser,
    week: dt.date | None = None,
    time_zone: str | None = None,
) -> WeeklyReviewReport:
    """The review of the week containing `week`, or of the last full week before today."""
    zone_name = time_zone or request.app.state.settings.time_zone
    zone = resolve_time_zone(zone_name)
    if week is None:
        week = last_full_week(zone)
    core: CoreClient = request.app.state.core
    return await compute_review(core, user.id, week_of(week), zone)


@internal_router.post(
    "/users/{user_id}/reviews/weekly",
    status_code=201,
    response_model=StoredReview,
    responses={
        401: {"model": Problem},
        403: {"model": Problem},
        422: {"model": Problem},
        502: {"model": Problem},
    },
)
async def store_weekly_review(
    request: Request,
    service: CurrentService,
    user_id: UUID,
    week: dt.date | None = None,
    time_zone: str | None = None,
) -> StoredReview:
    """Store the review of the week containing `week` (default: the last full week)."""
    if service not in REVIEW_CALLERS:
        raise ForbiddenError(f"The service {service!r} may not store reviews.")
    # The review is the trader's: its log lines name them, as on the trader's own routes.
    bind_user(user_id)
    zone = resolve_time_zone(time_zone or request.app.state.settings.time_zone)
    week_start = week_of(week) if week is not None else last_full_week(zone)
    return await publish_weekly_review(
        request.app.state.core, request.app.state.review_narrator, user_id, week_start, zone
    )
