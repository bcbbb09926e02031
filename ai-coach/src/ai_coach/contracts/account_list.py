# Generated from tradeloop-contracts-schemas-1.6.0.tar.gz (responses/AccountList.json) by
# tools/generate_contracts.py with datamodel-code-generator. Do not edit by hand:
# change the pinned version in pyproject.toml and run `make generate`.

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class DefaultStop(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
    )
    distance: Annotated[Decimal, Field(title="Distance")]
    kind: Annotated[Literal["points", "percent", "ticks"], Field(title="Kind")]


class Account(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    account_number_masked: Annotated[str | None, Field(title="Account Number Masked")] = None
    base_currency: Annotated[str, Field(pattern="^[A-Z]{3}$", title="Base Currency")]
    breakeven_band: Annotated[Decimal, Field(title="Breakeven Band")]
    broker: Annotated[str, Field(title="Broker")]
    created_at: Annotated[AwareDatetime, Field(title="Created At")]
    default_stop: Annotated[
        DefaultStop | None,
        Field(description="The stop assumed for R when a position has none set by the trader."),
    ] = None
    id: Annotated[UUID, Field(title="Id")]
    matching_method: Annotated[Literal["fifo", "lifo", "average"], Field(title="Matching Method")]
    name: Annotated[str, Field(title="Name")]
    risk_unit: Annotated[
        Decimal | None,
        Field(
            description="One R in base currency: the unit of limits written in R.",
            title="Risk Unit",
        ),
    ] = None
    starting_balance: Annotated[
        Decimal | None,
        Field(
            description="Cash before the account's first recorded trade, in base currency. With cash movements and realised P&L it gives the balance that percent-of-account limits read.",
            title="Starting Balance",
        ),
    ] = None
    time_zone: Annotated[str, Field(title="Time Zone")]


class AccountList(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    items: Annotated[list[Account], Field(title="Items")]
