"""The dashboard and the day page: statistics, charts, recent positions and insights."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from tradeloop_contracts import (
    AccountList,
    Adherence,
    Dashboard,
    JournalEntryPage,
    PositionPage,
    User,
)

from web_ui import charts
from web_ui.auth import signed_in_trader
from web_ui.browser import Browser, BrowserContext
from web_ui.edge import Edge, EdgeClient, EdgeNotFoundError, EdgeUnavailableError
from web_ui.filters import AccountChoice, Period, read_query
from web_ui.rendering import render

router = APIRouter()


@dataclass(frozen=True)
class WeekAdherence:
    """Plan adherence from this week's Monday to today, in the trader's zone."""

    start: dt.date
    end: dt.date
    adherence: Adherence | None


def this_week(time_zone: str, now: dt.datetime | None = None) -> tuple[dt.date, dt.date]:
    """Monday of the current week and today, in `time_zone` (UTC when unknown)."""
    try:
        zone: dt.tzinfo = ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = dt.UTC
    today = (now or dt.datetime.now(dt.UTC)).astimezone(zone).date()
    return today - dt.timedelta(days=today.weekday()), today


async def _trader_and_week(
    edge: EdgeClient, browser: BrowserContext, chosen: AccountChoice
) -> tuple[User, WeekAdherence]:
    # The week depends on the trader's zone, so adherence waits for the trader; a plan
    # that cannot be read leaves its card empty rather than failing the dashboard.
    user = await signed_in_trader(edge, browser)
    start, end = this_week(user.time_zone)
    params = {"start": start.isoformat(), "end": end.isoformat(), **chosen.params()}
    try:
        adherence = await edge.get(browser, "/api/v1/plan/adherence", Adherence, params=params)
    except (EdgeNotFoundError, EdgeUnavailableError):
        adherence = None
    return user, WeekAdherence(start, end, adherence)


@router.get("/", response_class=HTMLResponse)
async def dashboard(request: Request, browser: Browser, edge: Edge) -> HTMLResponse:
    """The dashboard for a period and account (all when not chosen)."""
    period = read_query(request, Period)
    data, accounts, (user, week) = await asyncio.gather(
        edge.get(browser, "/api/v1/dashboard", Dashboard, params=period.params()),
        edge.get(browser, "/api/v1/accounts", AccountList),
        _trader_and_week(edge, browser, AccountChoice(account_id=period.account_id)),
    )
    stats = data.statistics
    return render(
        request,
        "dashboard.html",
        {
            "dashboard": data,
            "user": user,
            "week": week,
            "period": period,
            "accounts": accounts.items,
            "equity": charts.equity_chart(stats.equity_curve) if stats else None,
            "months": charts.heatmap(stats.calendar) if stats else [],
            "cell": charts.CELL_SIZE,
            "grid_width": charts.GRID_WIDTH,
        },
    )


@router.get("/days/{day}", response_class=HTMLResponse)
async def day_page(request: Request, day: dt.date, browser: Browser, edge: Edge) -> HTMLResponse:
    """One trading day: the positions opened that day and its journal, of one account or all
    (core keeps the day's own entry for the accounts that traded that day)."""
    chosen = read_query(request, AccountChoice).params()
    iso = day.isoformat()
    positions, journal, user, accounts = await asyncio.gather(
        edge.get(
            browser, "/api/v1/positions", PositionPage, params={"start": iso, "end": iso, **chosen}
        ),
        edge.get(
            browser, "/api/v1/journal/entries", JournalEntryPage, params={"day": iso, **chosen}
        ),
        signed_in_trader(edge, browser),
        edge.get(browser, "/api/v1/accounts", AccountList),
    )
    return render(
        request,
        "day.html",
        {
            "day": day,
            "positions": positions.items,
            "more_positions": positions.next_cursor is not None,
            "entries": journal.items,
            "user": user,
            "accounts": accounts.items,
            "previous_day": day - dt.timedelta(days=1),
            "next_day": day + dt.timedelta(days=1),
        },
    )
