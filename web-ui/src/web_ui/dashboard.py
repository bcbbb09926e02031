"""The dashboard and the day page: statistics, charts, recent positions and insights."""

from __future__ import annotations

import asyncio
import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from tradeloop_contracts import AccountList, Dashboard, JournalEntryPage, PositionPage

from web_ui import charts
from web_ui.auth import signed_in_trader
from web_ui.browser import Browser
from web_ui.edge import Edge
from web_ui.filters import Period, read_query
from web_ui.rendering import render

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
async def dashboard(request: Request, browser: Browser, edge: Edge) -> HTMLResponse:
    """The dashboard for a period and account (all when not chosen)."""
    period = read_query(request, Period)
    data, accounts, user = await asyncio.gather(
        edge.get(browser, "/api/v1/dashboard", Dashboard, params=period.params()),
        edge.get(browser, "/api/v1/accounts", AccountList),
        signed_in_trader(edge, browser),
    )
    stats = data.statistics
    return render(
        request,
        "dashboard.html",
        {
            "dashboard": data,
            "user": user,
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
    """One trading day: the positions opened that day and its journal."""
    iso = day.isoformat()
    positions, journal, user = await asyncio.gather(
        edge.get(browser, "/api/v1/positions", PositionPage, params={"start": iso, "end": iso}),
        edge.get(browser, "/api/v1/journal/entries", JournalEntryPage, params={"day": iso}),
        signed_in_trader(edge, browser),
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
            "previous_day": day - dt.timedelta(days=1),
            "next_day": day + dt.timedelta(days=1),
        },
    )
