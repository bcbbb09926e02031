"""Multi-leg strategies: one row on the trades page, and a page with their legs."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from tradeloop_contracts import Position, Strategy

from web_ui.auth import signed_in_trader
from web_ui.browser import Browser, BrowserContext
from web_ui.edge import Edge, EdgeClient, EdgeNotFoundError
from web_ui.rendering import render

router = APIRouter()

KIND_NAMES = {
    "vertical": "Vertical",
    "straddle": "Straddle",
    "strangle": "Strangle",
    "iron_condor": "Iron condor",
    "iron_butterfly": "Iron butterfly",
    "butterfly": "Butterfly",
    "calendar": "Calendar",
    "diagonal": "Diagonal",
    "covered_call": "Covered call",
    "protective_put": "Protective put",
    "custom": "Custom",
}


@dataclass(frozen=True)
class TradeRow:
    """A row of the trades table: a position alone, or a strategy standing for its legs."""

    position: Position | None = None
    strategy: Strategy | None = None


async def _strategy(
    edge: EdgeClient, browser: BrowserContext, strategy_id: UUID
) -> Strategy | None:
    # Regrouped since the positions were read: its legs show as positions.
    try:
        return await edge.get(browser, f"/api/v1/strategies/{strategy_id}", Strategy)
    except EdgeNotFoundError:
        return None


async def trade_rows(
    edge: EdgeClient, browser: BrowserContext, positions: Sequence[Position]
) -> list[TradeRow]:
    """The page's positions with each strategy's legs folded into one row where its first
    leg on the page stands."""
    ids = list(dict.fromkeys(p.strategy_id for p in positions if p.strategy_id is not None))
    found = await asyncio.gather(*(_strategy(edge, browser, i) for i in ids))
    strategies = {s.id: s for s in found if s is not None}
    rows: list[TradeRow] = []
    shown: set[UUID] = set()
    for position in positions:
        strategy = strategies.get(position.strategy_id) if position.strategy_id else None
        if strategy is None:
            rows.append(TradeRow(position=position))
        elif strategy.id not in shown:
            shown.add(strategy.id)
            rows.append(TradeRow(strategy=strategy))
    return rows


@router.get("/strategies/{strategy_id}", response_class=HTMLResponse)
async def get_strategy(
    request: Request, strategy_id: UUID, browser: Browser, edge: Edge
) -> HTMLResponse:
    """A strategy with its legs and the strategies it was rolled from and to."""
    strategy, user = await asyncio.gather(
        edge.get(browser, f"/api/v1/strategies/{strategy_id}", Strategy),
        signed_in_trader(edge, browser),
    )
    return render(
        request, "strategy.html", {"strategy": strategy, "kinds": KIND_NAMES, "user": user}
    )
