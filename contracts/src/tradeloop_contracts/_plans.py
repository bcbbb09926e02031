"""Trading plans: versioned rule sets, and the violations found against them."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from uuid import UUID

from pydantic import Field

from ._base import Amount, Currency, RequestBody, ResponseBody, Timestamp
from ._instruments import AssetClass
from ._pagination import Page
from ._problem import Problem

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
PlanEvaluationState = Literal["judged", "pending", "failed"]
LimitUnit = Literal["currency", "trades", "contracts", "losses", "days", "percent"]


class MaxDailyLoss(RequestBody):
    """Stop for the day once the day's net loss reaches the limit."""

    kind: Literal["max_daily_loss"] = "max_daily_loss"
    amount: Amount | None = Field(default=None, gt=0)
    percent_of_account: Amount | None = Field(default=None, gt=0, le=100)
    r_multiple: Amount | None = Field(
        default=None, gt=0, description="In R: multiples of the account's risk unit."
    )


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
    r_multiple: Amount | None = Field(
        default=None, gt=0, description="In R: multiples of the account's risk unit."
    )


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


class TrailingDrawdown(RequestBody):
    """Equity may not fall more than `amount` below its high-water mark (a prop-firm rule)."""

    kind: Literal["trailing_drawdown"] = "trailing_drawdown"
    amount: Amount = Field(gt=0)
    basis: Literal["intraday", "end_of_day"] = Field(
        default="end_of_day",
        description="intraday: the mark rises with every close; end_of_day: at each day's end.",
    )
    lock_at: Amount | None = Field(
        default=None,
        gt=0,
        description="The floor stops rising once it reaches the starting balance plus this.",
    )


class ConsistencyRule(RequestBody):
    """No single trading day may make more than this share of the period's net profit."""

    kind: Literal["consistency"] = "consistency"
    max_day_share_percent: Amount = Field(gt=0, le=100)


class MinTradingDays(RequestBody):
    """A target, never a violation: at least this many trading days with a trade."""

    kind: Literal["min_trading_days"] = "min_trading_days"
    count: int = Field(ge=1, le=366)


class MaxOpenContracts(RequestBody):
    """At most this many contracts (or units) held at once across positions."""

    kind: Literal["max_open_contracts"] = "max_open_contracts"
    count: Amount = Field(gt=0)
    asset_class: AssetClass | None = None


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
    | TrailingDrawdown
    | ConsistencyRule
    | MinTradingDays
    | MaxOpenContracts
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
    "trailing_drawdown",
    "consistency",
    "min_trading_days",
    "max_open_contracts",
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
    evaluation: PlanEvaluationState = Field(
        default="judged",
        description="pending while past trades are being judged by this version after a change.",
    )
    judged_version: int | None = Field(
        default=None, description="The latest version whose judging of past trades finished."
    )


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


class PlanVersion(TradingPlan):
    """One version of the plan in its history, and until when it was in force."""

    effective_until: Timestamp | None = Field(
        default=None, description="Absent for the version in force now."
    )


class PlanVersionList(ResponseBody):
    """Every version of the plan, newest first."""

    items: list[PlanVersion]


class Cost(ResponseBody):
    """Net P&L of the positions behind a count, in one currency (negative is a loss)."""

    amount: Amount
    currency: Currency


class RulePreview(ResponseBody):
    """What one rule of a proposed plan would have flagged."""

    rule_index: int = Field(ge=0, description="The rule's place in the proposed plan's rules.")
    name: str
    kind: RuleKind
    positions_flagged: int = Field(ge=0)
    days_flagged: int = Field(ge=0)
    violations: int = Field(ge=0)
    costs: list[Cost] = Field(default_factory=list, description="One entry per currency.")


class PlanPreview(ResponseBody):
    """A proposed plan judged over the stored trades: "it would have flagged N trades costing X"."""

    positions_evaluated: int = Field(ge=0)
    positions_flagged: int = Field(ge=0)
    days_flagged: int = Field(ge=0)
    violations: int = Field(ge=0)
    costs: list[Cost] = Field(default_factory=list, description="One entry per currency.")
    rules: list[RulePreview]


class RuleAdherence(ResponseBody):
    """How often one rule held over the period."""

    rule_id: UUID
    kind: RuleKind
    name: str | None = None
    evaluated: int = Field(ge=0, description="Positions or days the rule was checked on.")
    violated: int = Field(ge=0)
    adherence_rate: Amount | None = Field(
        default=None, description="(evaluated − violated) / evaluated, 0..1; absent if none."
    )
    costs: list[Cost] = Field(default_factory=list, description="One entry per currency.")


class PnlWithoutViolations(ResponseBody):
    """Net P&L of all closed positions against the same without the rule-breaking ones."""

    currency: Currency
    net_pnl: Amount
    net_pnl_without_violations: Amount
    violating_positions: int = Field(ge=0)


class Adherence(ResponseBody):
    """Plan adherence over a period: per rule, overall, its P&L effect and compliant streaks."""

    period_start: dt.date | None = None
    period_end: dt.date | None = None
    adherence_rate: Amount | None = Field(
        default=None, description="Compliant checks over all checks, 0..1; absent if none."
    )
    rules: list[RuleAdherence]
    pnl: list[PnlWithoutViolations] = Field(
        default_factory=list, description="One entry per currency."
    )
    current_streak_days: int = Field(ge=0, description="Trading days without a violation, now.")
    longest_streak_days: int = Field(ge=0)


class CustomRuleCheck(Problem):
    """A custom rule's expression that does not compile or type-check (a 422 problem).

    `line` and `column` (1-based) point at the offending character of the expression.
    """

    rule_index: int | None = Field(
        default=None, ge=0, description="The rule's place in the plan's rules."
    )
    expression: str = Field(max_length=4000)
    line: int = Field(ge=1)
    column: int = Field(ge=1)


class PlanPreset(ResponseBody):
    """A ready-made set of rules, such as a prop-firm evaluation's, to start a plan from."""

    id: str = Field(max_length=64)
    name: str
    description: str
    rules: list[RuleCreate]


class PlanPresetList(ResponseBody):
    """Every preset on offer."""

    items: list[PlanPreset]


class LimitDistance(ResponseBody):
    """How far one account is from one rule's limit right now."""

    rule_id: UUID
    name: str
    kind: RuleKind
    account_id: UUID
    unit: LimitUnit
    currency: Currency | None = Field(default=None, description="For amounts only.")
    limit: Amount
    current: Amount
    remaining: Amount = Field(description="Room left before the limit; zero or less once broken.")
    breached: bool


class PlanLimits(ResponseBody):
    """Distance to each limit of the plan in force, per account, for the current trading day."""

    as_of: Timestamp
    items: list[LimitDistance]
