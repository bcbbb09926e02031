"""The dashboard: statistics, recent positions and the coach's latest insights."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import Field
from tradeloop_contracts import InsightList, PositionPage, ResponseBody, Statistics

from web_ui.auth import signed_in_trader
from web_ui.browser import Browser
from web_ui.edge import Edge
from web_ui.rendering import render

router = APIRouter()


class Dashboard(ResponseBody):
    """edge's aggregate of the dashboard's data; a part is absent when its backend failed.

    The contracts package has no model for this aggregate, so it is assembled here from
    the contracts models of its parts.
    """

    statistics: Statistics | None = None
    positions: PositionPage | None = None
    insights: InsightList | None = None
    partial: list[str] = Field(
        default_factory=list, description="Backends that did not answer in time."
    )


@router.get("/", response_class=HTMLResponse)
async def dashboard(request: Request, browser: Browser, edge: Edge) -> HTMLResponse:
    """The dashboard."""
    data, user = await asyncio.gather(
        edge.get(browser, "/api/v1/dashboard", Dashboard), signed_in_trader(edge, browser)
    )
    return render(request, "dashboard.html", {"dashboard": data, "user": user})
