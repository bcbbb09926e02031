"""Positions: flat to flat per account and instrument, with realised P&L."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import Field

from ._base import Amount, Currency, RequestBody, ResponseBody, Timestamp
from ._executions import Execution
from ._instruments import Instrument
from ._pagination import Page

Direction = Literal["long", "short"]
PositionStatus = Literal["open", "closed"]
Outcome = Literal["win", "loss", "breakeven"]


class Position(ResponseBody):
    """A position and its derived numbers (see the METRICS definitions in the README)."""

    id: UUID
    account_id: UUID
    instrument: Instrument
    direction: Direction
    status: PositionStatus
    opened_at: Timestamp
    closed_at: Timestamp | None = None
    open_quantity: Amount = Field(description="Signed: negative while short.")
    max_quantity: Amount
    avg_entry_price: Amount
    avg_exit_price: Amount | None = None
    realised_pnl_gross: Amount
    fees: Amount = Field(description="Commissions plus fees of every fill, a positive cost.")
    realised_pnl_net: Amount
    currency: Currency
    realised_pnl_net_base: Amount | None = Field(
        default=None, description="Net P&L in the account's base currency."
    )
    holding_seconds: int | None = None
    initial_stop: Amount | None = None
    r_multiple: Amount | None = None
    outcome: Outcome | None = Field(default=None, description="Closed positions only.")
    mae: Amount | None = Field(default=None, description="Unknown (absent) without market data.")
    mfe: Amount | None = None
    execution_count: int
    tags: list[str] = Field(default_factory=list)


class PositionDetail(Position):
    """A position with its executions."""

    executions: list[Execution]


class PositionPage(Page):
    """A page of positions, most recently opened first."""

    items: list[Position]


class PositionUpdate(RequestBody):
    """What a trader sets on a position by hand."""

    initial_stop: Amount | None = None
    tags: list[str] | None = Field(default=None, max_length=50)
