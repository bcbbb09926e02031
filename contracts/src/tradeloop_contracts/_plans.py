"""Trading plans: versioned rule sets, and the violations found against them."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from uuid import UUID

from pydantic import Field

from ._base import Amount, Currency, RequestBody, ResponseBody, Timestamp
from ._instruments import AssetClass
from ._pagination import Page

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class MaxDailyLoss(RequestBody):
    """Stop for the day once the day's net loss reaches the limit."""

    kind: Literal["max_daily_loss"] = "max_daily_loss"
    amount: Amount | None = Field(default=None, gt=0)
    percent_of_account: Amount | None = Field(default=None, gt=0, le=100)


class MaxTradesPerDay(RequestBody):
    """At most this many positions opened per trading day."""

    kind: Literal["max_trades_per_day"] = "max_trades_per_day"
    count: int = Field(ge=1)


class MaxPositionSize(RequestBody):
    """A cap on a position's size, by quantity or by notional, optionally per asset class."""

    kind: Literal["max_position_size"] = "max_position_size"
    quantity: Amount | None = Field(default=None, gt=0)
    notional: Amount | None = Field(default=None, gt=0)
    asset_class: AssetClass | None = None


class MaxRiskPerTrade(RequestBody):
    """Risk to the planned stop, in currency, percent of account, or R."""

    kind: Literal["max_risk_per_trade"] = "max_risk_per_trade"
    amount: Amount | None = Field(default=None, gt=0)
    percent_of_account: Amount | None = Field(default=None, gt=0, le=100)


class TradingWindow(RequestBody):
    """Entries only inside the window, in the trader's zone or relative to an exchange's session."""

    kind: Literal["trading_window"] = "trading_window"
    weekdays: list[Weekday] = Field(min_length=1)
    start: dt.time | None = None
    end: dt.time | None = None
    exchange: str | None = Field(default=None, description="Calendar code, e.g. XNYS.")
    skip_first_minutes: int | None = Field(default=None, ge=0, le=600)
    skip_last_minutes: int | None = Field(default=None, ge=0, le=600)


class CooldownAfterLoss(RequestBody):
    """No new position within this many minutes of closing a loser."""

    kind: Literal["cooldown_after_loss"] = "cooldown_after_loss"
    minutes: int = Field(ge=1, le=1440)


class MaxConsecutiveLosses(RequestBody):
    """Stop for the day after this many losers in a row."""

    kind: Literal["max_consecutive_losses"] = "max_consecutive_losses"
    count: int = Field(ge=1)


class SymbolList(RequestBody):
    """Only the allowed symbols and asset classes; never the blocked ones."""

    kind: Literal["symbols"] = "symbols"
    allowed_symbols: list[str] = Field(default_factory=list)
    blocked_symbols: list[str] = Field(default_factory=list)
    allowed_asset_classes: list[AssetClass] = Field(default_factory=list)


class JournalRequired(RequestBody):
    """A journal entry on each closed position within this many hours."""

    kind: Literal["journal_required"] = "journal_required"
    hours: int = Field(ge=1, le=720)


class CustomRule(RequestBody):
    """A Common Expression Language predicate that must hold for each position."""

    kind: Literal["custom"] = "custom"
    expression: str = Field(min_length=1, max_length=4000)


RuleParams = Annotated[
    MaxDailyLoss
    | MaxTradesPerDay
    | MaxPositionSize
    | MaxRiskPerTrade
    | TradingWindow
    | CooldownAfterLoss
    | MaxConsecutiveLosses
    | SymbolList
    | JournalRequired
    | CustomRule,
    Field(discriminator="kind"),
]
RuleKind = Literal[
    "max_daily_loss",
    "max_trades_per_day",
    "max_position_size",
    "max_risk_per_trade",
    "trading_window",
    "cooldown_after_loss",
    "max_consecutive_losses",
    "symbols",
    "journal_required",
    "custom",
]


class RuleCreate(RequestBody):
    """One rule of a plan."""

    name: str = Field(min_length=1, max_length=100)
    enabled: bool = True
    params: RuleParams


class TradingPlanUpdate(RequestBody):
    """A new version of the plan; earlier trades stay judged by the version in force then."""

    rules: list[RuleCreate] = Field(max_length=100)


class Rule(ResponseBody):
    """A stored rule."""

    id: UUID
    name: str
    enabled: bool
    kind: RuleKind
    params: dict[str, object]


class TradingPlan(ResponseBody):
    """The plan at one version."""

    id: UUID
    version: int
    effective_from: Timestamp
    rules: list[Rule]


class Violation(ResponseBody):
    """A broken rule, what was seen against what was allowed, and what it cost."""

    id: UUID
    rule_id: UUID
    rule_kind: RuleKind
    plan_version: int
    position_id: UUID | None = None
    day: dt.date | None = None
    observed: str
    allowed: str
    cost: Amount
    currency: Currency
    detected_at: Timestamp


class ViolationPage(Page):
    """A page of violations, newest first."""

    items: list[Violation]
