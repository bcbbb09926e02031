"""Positions: flat to flat per account and instrument, with realised P&L."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal
from uuid import UUID

from pydantic import Field

from ._base import Amount, Currency, RequestBody, ResponseBody, Timestamp
from ._executions import Execution
from ._instruments import Instrument
from ._market_data import BarInterval, BarSeries
from ._pagination import Page
from ._playbooks import PositionPlaybook

StopSource = Literal["trader", "default_rule"]

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
    mae: Amount | None = Field(
        default=None,
        description="Maximum adverse excursion in `currency`; unknown (absent) without bars.",
    )
    mfe: Amount | None = Field(default=None, description="Maximum favourable excursion.")
    mae_price: Amount | None = Field(default=None, description="The worst price while held.")
    mfe_price: Amount | None = Field(default=None, description="The best price while held.")
    execution_count: int
    tags: list[str] = Field(default_factory=list)
    playbook: PositionPlaybook | None = None
    strategy_id: UUID | None = Field(
        default=None, description="The multi-leg strategy this position is a leg of."
    )
    stop_source: StopSource | None = Field(
        default=None, description="Where initial_stop came from: set by the trader or a rule."
    )


class PositionStop(ResponseBody):
    """A stop the trader set on the position; the first one is the initial stop R uses."""

    stop: Amount
    set_at: Timestamp


class PositionDetail(Position):
    """A position with its executions and every stop set on it, oldest first."""

    executions: list[Execution]
    stops: list[PositionStop] = Field(default_factory=list)


class PositionCreate(RequestBody):
    """A round trip entered by hand: its entry and, when closed, its exit, as two fills."""

    account_id: UUID
    instrument: Instrument
    direction: Direction
    quantity: Amount = Field(gt=0)
    entry_at: Timestamp
    entry_price: Amount = Field(ge=0)
    exit_at: Timestamp | None = None
    exit_price: Amount | None = Field(default=None, ge=0)
    commission: Amount = Field(default=Decimal(0), ge=0, description="Per fill.")
    initial_stop: Amount | None = None
    note: str | None = Field(default=None, max_length=2000)


class PositionPage(Page):
    """A page of positions, most recently opened first."""

    items: list[Position]


class PositionUpdate(RequestBody):
    """What a trader sets on a position by hand."""

    initial_stop: Amount | None = None
    tags: list[str] | None = Field(default=None, max_length=50)


class PositionTagsChange(RequestBody):
    """Tags to add to and remove from every listed position, all of them or none (any
    case; the first spelling of an added tag is kept)."""

    position_ids: list[UUID] = Field(min_length=1, max_length=200)
    add: list[str] = Field(default_factory=list, max_length=20)
    remove: list[str] = Field(default_factory=list, max_length=20)


class PositionExcursions(RequestBody):
    """Internal: MAE and MFE a worker computed from complete bars covering the position."""

    mae: Amount
    mfe: Amount
    mae_price: Amount
    mfe_price: Amount
    currency: Currency
    interval: BarInterval = Field(description="The bars' interval.")


class PositionBars(BarSeries):
    """The bars for a position's chart, from before its entry to after its exit."""

    position_id: UUID
    complete: bool = Field(description="False when the bars do not cover the whole holding.")
