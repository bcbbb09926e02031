"""The dashboard: statistics, recent positions and the coach's latest insights."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from tradeloop_contracts import Dashboard

from web_ui.auth import signed_in_trader
from web_ui.browser import Browser
from web_ui.edge import Edge
from web_ui.rendering import render

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
async def dashboard(request: Request, browser: Browser, edge: Edge) -> HTMLResponse:
    """The dashboard."""
    data, user = await asyncio.gather(
        edge.get(browser, "/api/v1/dashboard", Dashboard), signed_in_trader(edge, browser)
    )
    return render(request, "dashboard.html", {"dashboard": data, "user": user})
