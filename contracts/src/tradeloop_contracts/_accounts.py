"""Brokerage accounts."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal
from uuid import UUID

from pydantic import Field

from ._base import Amount, Currency, RequestBody, ResponseBody, Timestamp

MatchingMethod = Literal["fifo", "lifo", "average"]


class AccountCreate(RequestBody):
    """A brokerage account the trader imports into."""

    name: str = Field(min_length=1, max_length=100)
    broker: str = Field(min_length=1, max_length=50)
    account_number: str | None = Field(default=None, max_length=64, description="Stored masked.")
    base_currency: Currency = "USD"
    time_zone: str = Field(default="America/New_York", max_length=64)
    matching_method: MatchingMethod = "fifo"
    breakeven_band: Amount = Field(
        default=Decimal(0), description="Net P&L within ±band is breakeven."
    )


class AccountUpdate(RequestBody):
    """Fields of an account a trader may change."""

    name: str | None = Field(default=None, min_length=1, max_length=100)
    time_zone: str | None = Field(default=None, max_length=64)
    matching_method: MatchingMethod | None = None
    breakeven_band: Amount | None = None


class Account(ResponseBody):
    """A brokerage account; the number is only ever shown masked."""

    id: UUID
    name: str
    broker: str
    account_number_masked: str | None = None
    base_currency: Currency
    time_zone: str
    matching_method: MatchingMethod
    breakeven_band: Amount
    created_at: Timestamp


class AccountList(ResponseBody):
    """Every account of the trader."""

    items: list[Account]
