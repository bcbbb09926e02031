"""Who the scheduler asks the coach to review for a week (internal, service token only).

A trader is due for the week starting `week_start` (a Monday) when they closed at least
one position in that week, Monday 00:00 to the next Monday 00:00 in their own time zone,
and no review of that week is stored yet. Workers decide when a week is due to be asked
about; core only says who traded in it and has no review of it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Query
from sqlalchemy import ColumnElement, and_, exists, false, or_, select
from sqlalchemy.orm import Session
from tradeloop_contracts import WeeklyReviewDue, WeeklyReviewDuePage

from core_api.db import DbSession
from core_api.errors import AppError, FieldError
from core_api.identity.dependencies import ServiceCaller
from core_api.identity.models import UserRecord
from core_api.positions.models import PositionRecord
from core_api.reviews.models import WeeklyReviewRecord

DEFAULT_LIMIT = 100
MAX_LIMIT = 500

internal = APIRouter(tags=["reviews"])


@internal.get("/internal/v1/users/weekly-review-due")
def list_weekly_review_due(
    week_start: dt.date,
    _caller: ServiceCaller,
    session: DbSession,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> WeeklyReviewDuePage:
    """Traders with a position closed in the week and no stored review of it, by id."""
    if week_start.weekday() != 0:
        raise AppError(
            422,
            "Invalid request",
            errors=[FieldError("query.week_start", "a week starts on a Monday")],
        )
    after = _decode_cursor(cursor) if cursor else None
    due = due_for_review(session, week_start, after, limit + 1)
    page = due[:limit]
    more = len(due) > limit
    return WeeklyReviewDuePage(
        week_start=week_start,
        items=[WeeklyReviewDue(user_id=user_id, time_zone=zone) for user_id, zone in page],
        next_cursor=str(page[-1][0]) if more else None,
    )


def due_for_review(
    session: Session, week_start: dt.date, after: uuid.UUID | None, limit: int
) -> list[tuple[uuid.UUID, str]]:
    """(user id, time zone) of up to `limit` traders due for the week, ids above `after`."""
    closed_in_week = exists().where(
        PositionRecord.user_id == UserRecord.id,
        PositionRecord.status == "closed",
        _week_in_own_zone(session, week_start),
    )
    reviewed = exists().where(
        WeeklyReviewRecord.user_id == UserRecord.id,
        WeeklyReviewRecord.week_start == week_start,
    )
    query = (
        select(UserRecord.id, UserRecord.time_zone)
        .where(closed_in_week, ~reviewed)
        .order_by(UserRecord.id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(UserRecord.id > after)
    return [(user_id, zone) for user_id, zone in session.execute(query)]


def _week_in_own_zone(session: Session, week_start: dt.date) -> ColumnElement[bool]:
    # One bound pair per zone in use: the week's instants differ from zone to zone, and
    # the zones in use are few, so the condition stays one indexed query.
    windows = []
    for zone_name in session.scalars(select(UserRecord.time_zone).distinct()):
        try:
            zone = ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError):
            continue
        start = dt.datetime.combine(week_start, dt.time(), zone)
        end = dt.datetime.combine(week_start + dt.timedelta(days=7), dt.time(), zone)
        windows.append(
            and_(
                UserRecord.time_zone == zone_name,
                PositionRecord.closed_at >= start.astimezone(dt.UTC),
                PositionRecord.closed_at < end.astimezone(dt.UTC),
            )
        )
    return or_(*windows) if windows else false()


def _decode_cursor(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as error:
        raise AppError(
            400,
            "Invalid cursor",
            errors=[FieldError("query.cursor", "not a cursor this API handed out")],
        ) from error
