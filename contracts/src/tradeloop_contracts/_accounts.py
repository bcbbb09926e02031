"""Brokerage accounts."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal
from uuid import UUID

from pydantic import Field

from ._base import Amount, Currency, RequestBody, ResponseBody, Timestamp

MatchingMethod = Literal["fifo", "lifo", "average"]

_STARTING_BALANCE = (
    "Cash before the account's first recorded trade, in base currency. With cash movements "
    "and realised P&L it gives the balance that percent-of-account limits read."
)
_RISK_UNIT = "One R in base currency: the unit of limits written in R."
_DEFAULT_STOP = "The stop assumed for R when a position has none set by the trader."


class DefaultStop(RequestBody):
    """A stop placed at a distance from the average entry: points, percent or ticks."""

    kind: Literal["points", "percent", "ticks"]
    distance: Amount = Field(gt=0)


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
    starting_balance: Amount | None = Field(default=None, ge=0, description=_STARTING_BALANCE)
    risk_unit: Amount | None = Field(default=None, gt=0, description=_RISK_UNIT)
    default_stop: DefaultStop | None = Field(default=None, description=_DEFAULT_STOP)


class AccountUpdate(RequestBody):
    """Fields of an account a trader may change."""

    name: str | None = Field(default=None, min_length=1, max_length=100)
    time_zone: str | None = Field(default=None, max_length=64)
    matching_method: MatchingMethod | None = None
    breakeven_band: Amount | None = None
    starting_balance: Amount | None = Field(default=None, ge=0, description=_STARTING_BALANCE)
    risk_unit: Amount | None = Field(default=None, gt=0, description=_RISK_UNIT)
    default_stop: DefaultStop | None = Field(default=None, description=_DEFAULT_STOP)


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
    starting_balance: Amount | None = Field(default=None, description=_STARTING_BALANCE)
    risk_unit: Amount | None = Field(default=None, description=_RISK_UNIT)
    default_stop: DefaultStop | None = Field(default=None, description=_DEFAULT_STOP)
    created_at: Timestamp


class AccountList(ResponseBody):
    """Every account of the trader."""

    items: list[Account]


class CashMovementCreate(RequestBody):
    """A deposit (positive amount) or a withdrawal (negative), in the account's base currency."""

    occurred_at: Timestamp
    amount: Amount = Field(description="Non-zero: positive adds cash, negative takes it out.")
    note: str | None = Field(default=None, max_length=500)


class CashMovement(ResponseBody):
    """A stored deposit or withdrawal."""

    id: UUID
    account_id: UUID
    occurred_at: Timestamp
    amount: Amount
    currency: Currency
    note: str | None = None
    created_at: Timestamp


class CashMovementList(ResponseBody):
    """Every deposit and withdrawal of an account, newest first."""

    items: list[CashMovement]


class AccountBalance(ResponseBody):
    """An account's cash at a moment: starting balance, plus cash moved, plus realised net P&L."""

    account_id: UUID
    currency: Currency
    as_of: Timestamp
    starting_balance: Amount
    cash_movements: Amount = Field(description="Deposits less withdrawals up to `as_of`.")
    realised_pnl_net: Amount = Field(
        description="Net P&L in base currency of the positions closed up to `as_of`."
    )
    balance: Amount
