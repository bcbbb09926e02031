# Generated from tradeloop-contracts-schemas-1.6.0.tar.gz (responses/PositionPage.json) by
# tools/generate_contracts.py with datamodel-code-generator. Do not edit by hand:
# change the pinned version in pyproject.toml and run `make generate`.

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from typing_extensions import TypeAliasType

Exchange = TypeAliasType("Exchange", Annotated[str, Field(max_length=16, title="Exchange")])


Root = TypeAliasType(
    "Root",
    Annotated[str, Field(description="Futures root, e.g. ES.", max_length=16, title="Root")],
)


Underlying = TypeAliasType("Underlying", Annotated[str, Field(max_length=32, title="Underlying")])


class Instrument(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    asset_class: Annotated[
        Literal["stock", "option", "future", "future_option", "forex", "crypto"],
        Field(title="Asset Class"),
    ]
    currency: Annotated[str, Field(pattern="^[A-Z]{3}$", title="Currency")] = "USD"
    exchange: Annotated[Exchange | None, Field(title="Exchange")] = None
    expiry: Annotated[date | None, Field(title="Expiry")] = None
    multiplier: Annotated[
        Decimal, Field(description="Contract size or point value.", title="Multiplier")
    ] = Decimal("1")
    right: Annotated[Literal["call", "put"] | None, Field(title="Right")] = None
    root: Annotated[Root | None, Field(description="Futures root, e.g. ES.", title="Root")] = None
    strike: Annotated[Decimal | None, Field(title="Strike")] = None
    symbol: Annotated[str, Field(max_length=64, min_length=1, title="Symbol")]
    tick_size: Annotated[Decimal | None, Field(title="Tick Size")] = None
    underlying: Annotated[Underlying | None, Field(title="Underlying")] = None


class PositionPlaybook(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    adherence: Annotated[
        Decimal | None,
        Field(
            description="criteria_met / criteria_total, 0..1; absent with no criteria.",
            title="Adherence",
        ),
    ] = None
    criteria_met: Annotated[list[UUID], Field(title="Criteria Met")]
    criteria_total: Annotated[int, Field(ge=0, title="Criteria Total")]
    name: Annotated[str, Field(title="Name")]
    playbook_id: Annotated[UUID, Field(title="Playbook Id")]


class Position(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    account_id: Annotated[UUID, Field(title="Account Id")]
    avg_entry_price: Annotated[Decimal, Field(title="Avg Entry Price")]
    avg_exit_price: Annotated[Decimal | None, Field(title="Avg Exit Price")] = None
    closed_at: Annotated[AwareDatetime | None, Field(title="Closed At")] = None
    currency: Annotated[str, Field(pattern="^[A-Z]{3}$", title="Currency")]
    direction: Annotated[Literal["long", "short"], Field(title="Direction")]
    execution_count: Annotated[int, Field(title="Execution Count")]
    fees: Annotated[
        Decimal,
        Field(
            description="Commissions plus fees of every fill, a positive cost.",
            title="Fees",
        ),
    ]
    holding_seconds: Annotated[int | None, Field(title="Holding Seconds")] = None
    id: Annotated[UUID, Field(title="Id")]
    initial_stop: Annotated[Decimal | None, Field(title="Initial Stop")] = None
    instrument: Instrument
    mae: Annotated[
        Decimal | None,
        Field(
            description="Maximum adverse excursion in `currency`; unknown (absent) without bars.",
            title="Mae",
        ),
    ] = None
    mae_price: Annotated[
        Decimal | None,
        Field(description="The worst price while held.", title="Mae Price"),
    ] = None
    max_quantity: Annotated[Decimal, Field(title="Max Quantity")]
    mfe: Annotated[
        Decimal | None, Field(description="Maximum favourable excursion.", title="Mfe")
    ] = None
    mfe_price: Annotated[
        Decimal | None,
        Field(description="The best price while held.", title="Mfe Price"),
    ] = None
    open_quantity: Annotated[
        Decimal,
        Field(description="Signed: negative while short.", title="Open Quantity"),
    ]
    opened_at: Annotated[AwareDatetime, Field(title="Opened At")]
    outcome: Annotated[
        Literal["win", "loss", "breakeven"] | None,
        Field(description="Closed positions only.", title="Outcome"),
    ] = None
    playbook: PositionPlaybook | None = None
    r_multiple: Annotated[Decimal | None, Field(title="R Multiple")] = None
    realised_pnl_gross: Annotated[Decimal, Field(title="Realised Pnl Gross")]
    realised_pnl_net: Annotated[Decimal, Field(title="Realised Pnl Net")]
    realised_pnl_net_base: Annotated[
        Decimal | None,
        Field(
            description="Net P&L in the account's base currency.",
            title="Realised Pnl Net Base",
        ),
    ] = None
    status: Annotated[Literal["open", "closed"], Field(title="Status")]
    stop_source: Annotated[
        Literal["trader", "default_rule"] | None,
        Field(
            description="Where initial_stop came from: set by the trader or a rule.",
            title="Stop Source",
        ),
    ] = None
    strategy_id: Annotated[
        UUID | None,
        Field(
            description="The multi-leg strategy this position is a leg of.",
            title="Strategy Id",
        ),
    ] = None
    tags: Annotated[list[str] | None, Field(title="Tags")] = None


class PositionPage(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    items: Annotated[list[Position], Field(title="Items")]
    next_cursor: Annotated[
        str | None,
        Field(description="Opaque; pass back as `cursor`.", title="Next Cursor"),
    ] = None
