"""Multi-leg option strategies: positions filled together, shown and counted as one trade."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import Field

from ._base import Amount, Currency, ResponseBody, Timestamp
from ._pagination import Page
from ._positions import Position, PositionStatus

StrategyKind = Literal[
    "vertical",
    "straddle",
    "strangle",
    "iron_condor",
    "iron_butterfly",
    "butterfly",
    "calendar",
    "diagonal",
    "covered_call",
    "protective_put",
    "custom",
]


class Strategy(ResponseBody):
    """Legs opened together on one underlying (same order, or same time), as one trade."""

    id: UUID
    account_id: UUID
    kind: StrategyKind
    underlying: str
    status: PositionStatus
    opened_at: Timestamp
    closed_at: Timestamp | None = None
    realised_pnl_net: Amount
    fees: Amount
    currency: Currency
    legs: list[Position] = Field(min_length=2)
    rolled_from: UUID | None = Field(
        default=None, description="The strategy this one was rolled from."
    )
    rolled_to: UUID | None = None


class StrategyPage(Page):
    """A page of strategies, newest first."""

    items: list[Strategy]
