"""The coach's HTTP route for analytics."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Query, Request

from ai_coach.analytics.breakdown import Dimension, group, summarize, within
from ai_coach.analytics.responses import metrics_body
from ai_coach.auth import CurrentUser
from ai_coach.contracts.analytics import Analytics, AnalyticsGroup, CurrencyAnalytics
from ai_coach.contracts.problem import Problem, ProblemField
from ai_coach.core import CoreClient, positions_and_playbooks
from ai_coach.errors import InvalidInputError
from ai_coach.positions import trades_by_currency

router = APIRouter(prefix="/v1", tags=["analytics"])


def resolve_time_zone(name: str) -> ZoneInfo:
    """The IANA time zone of that name; raises InvalidInputError for an unknown one."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise InvalidInputError(
            f"Unknown time zone {name!r}.",
            [ProblemField(location="query/time_zone", message="not an IANA time zone")],
        ) from error


@router.get(
    "/analytics",
    response_model=Analytics,
    responses={
        401: {"model": Problem},
        404: {"model": Problem},
        422: {"model": Problem},
        502: {"model": Problem},
    },
)
async def get_analytics(
    request: Request,
    user: CurrentUser,
    group_by: Dimension,
    start: dt.date | None = None,
    end: dt.date | None = None,
    time_zone: str | None = None,
    starting_equity: Annotated[Decimal | None, Query(gt=0, max_digits=20)] = None,
    account_id: UUID | None = None,
) -> Analytics:
    """The trader's metrics per currency, overall and per group, for closes in a date range,
    of one account when `account_id` is given (404 when it is not the trader's)."""
    if start is not None and end is not None and start > end:
        raise InvalidInputError(
            "The range starts after it ends.",
            [ProblemField(location="query/start", message="must not be after end")],
        )
    zone_name = time_zone or request.app.state.settings.time_zone
    zone = resolve_time_zone(zone_name)
    core: CoreClient = request.app.state.core
    positions, playbooks = await positions_and_playbooks(core, user.id, account_id)
    items = []
    for currency, trades in trades_by_currency(positions, playbooks).items():
        chosen = within(trades, start, end, zone)
        if not chosen:
            continue
        try:
            overall = summarize(chosen, starting_equity, zone)
        except ValueError as error:
            raise InvalidInputError(
                str(error),
                [ProblemField(location="query/starting_equity", message=str(error))],
            ) from error
        groups = [
            AnalyticsGroup(key=key, metrics=metrics_body(summarize(members, time_zone=zone)))
            for key, members in group(chosen, group_by, zone).items()
        ]
        items.append(
            CurrencyAnalytics(currency=currency, overall=metrics_body(overall), groups=groups)
        )
    return Analytics(group_by=group_by, start=start, end=end, time_zone=zone_name, items=items)
