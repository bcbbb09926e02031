"""The rules engine: which positions and days broke which rule of the plan in force.

Pure code over plain values, so it is the same for an import's few days, a full
re-evaluation and a preview. A position is judged by the plan version in force when it
opened; a day's loss is the running sum of the net P&L of the positions closed that day.
Costs are net P&L in the account's base currency where the fills carry a rate.
"""

from __future__ import annotations

import bisect
import datetime as dt
import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property, lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import TypeAdapter
from tradeloop_contracts import (
    CooldownAfterLoss,
    CustomRule,
    JournalRequired,
    MaxConsecutiveLosses,
    MaxDailyLoss,
    MaxPositionSize,
    MaxRiskPerTrade,
    MaxTradesPerDay,
    RuleParams,
    SymbolList,
    TradingWindow,
)

from core_api.accounts.balances import Ledger
from core_api.plans.custom_rules import CompiledRule, CustomRuleFault, compile_rule
from core_api.plans.windows import WEEKDAYS, outside_window

logger = logging.getLogger(__name__)
PARAMS = TypeAdapter[Any](RuleParams)


@dataclass(frozen=True)
class PlanRule:
    id: uuid.UUID
    name: str
    enabled: bool
    params: Any  # one of the contracts' rule parameter models

    @property
    def kind(self) -> str:
        return str(self.params.kind)


@dataclass(frozen=True)
class VersionRules:
    version: int
    effective_from: dt.datetime
    rules: tuple[PlanRule, ...]


@dataclass(frozen=True)
class PositionFacts:
    """What the rules see of one position, its opening fill and its journal."""

    id: uuid.UUID
    account_id: uuid.UUID
    asset_class: str
    symbol: str
    underlying: str | None
    direction: str
    status: str
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    opened_day: dt.date
    closed_day: dt.date | None
    max_quantity: Decimal
    avg_entry_price: Decimal
    avg_exit_price: Decimal | None
    multiplier: Decimal
    pnl: Decimal
    currency: str
    fees: Decimal
    outcome: str | None
    tags: tuple[str, ...]
    initial_stop: Decimal | None
    holding_seconds: int | None
    opening_execution_id: uuid.UUID
    opening_side: str
    opening_quantity: Decimal
    opening_price: Decimal
    opening_commission: Decimal
    opening_fees: Decimal
    first_journal_at: dt.datetime | None = None
    # The currency of prices and `risk` when `currency` is the account's base currency.
    instrument_currency: str | None = None

    @property
    def notional(self) -> Decimal:
        return self.max_quantity * self.avg_entry_price * self.multiplier

    @property
    def risk(self) -> Decimal | None:
        if self.initial_stop is None:
            return None
        return abs(self.avg_entry_price - self.initial_stop) * self.max_quantity * self.multiplier


@dataclass(frozen=True)
class Finding:
    """A violation as the engine finds it; `key` is the same each time it is found again."""

    rule_id: uuid.UUID
    rule_kind: str
    plan_version: int
    position_id: uuid.UUID | None
    execution_id: uuid.UUID | None
    day: dt.date
    observed: str
    allowed: str
    cost: Decimal
    currency: str

    @property
    def key(self) -> str:
        return f"{self.rule_id}:{self.position_id or '-'}:{self.day.isoformat()}"


@dataclass
class Evaluation:
    findings: list[Finding] = field(default_factory=list)
    # (version, rule id) -> why the rule could not be evaluated.
    faults: dict[tuple[int, uuid.UUID], str] = field(default_factory=dict)


def rule_of(rule: dict[str, Any]) -> PlanRule:
    """A stored rule (`{"id", "name", "enabled", "params"}`) as the engine uses it."""
    return PlanRule(
        id=uuid.UUID(str(rule["id"])),
        name=str(rule["name"]),
        enabled=bool(rule["enabled"]),
        params=PARAMS.validate_python(rule["params"]),
    )


@lru_cache(maxsize=512)
def compiled(expression: str) -> CompiledRule:
    return compile_rule(expression)


class VersionTimeline:
    """Plan versions by when they came into force."""

    def __init__(self, versions: Sequence[VersionRules]) -> None:
        self.versions = sorted(versions, key=lambda version: version.effective_from)
        self.starts = [version.effective_from for version in self.versions]

    def at(self, moment: dt.datetime) -> VersionRules | None:
        """The version in force at `moment`, None before the first."""
        index = bisect.bisect_right(self.starts, moment) - 1
        return self.versions[index] if index >= 0 else None


def evaluate(
    versions: Sequence[VersionRules],
    positions: Iterable[PositionFacts],
    days: Iterable[dt.date] | None,
    time_zone: str,
    now: dt.datetime,
    accounts: Mapping[uuid.UUID, Ledger] | None = None,
) -> Evaluation:
    """Every violation on `days` (None: every day), each position under its own version.

    `positions` must hold every position opened or closed on those days and those closed
    in the two days before them (a cooldown looks back up to a day). `accounts` gives the
    balances and risk units that limits in percent of account and in R read; a limit an
    account cannot give (no starting balance, no risk unit) is not judged for it. A custom
    rule that fails is recorded in `faults` and skipped for the rest of the run, never raised.
    """
    ledgers = accounts or {}
    by_version = VersionTimeline(versions)
    evaluation = Evaluation()
    everything = list(positions)
    wanted = None if days is None else set(days)
    opened: dict[dt.date, list[PositionFacts]] = defaultdict(list)
    closed: dict[dt.date, list[PositionFacts]] = defaultdict(list)
    for position in everything:
        opened[position.opened_day].append(position)
        if position.closed_day is not None:
            closed[position.closed_day].append(position)
    losses = sorted(
        (position.closed_at, position.id)
        for position in everything
        if position.outcome == "loss" and position.closed_at is not None
    )
    loss_times = [closed_at for closed_at, _ in losses]
    zone = ZoneInfo(time_zone)
    for day in sorted(opened.keys() | closed.keys()):
        if wanted is not None and day not in wanted:
            continue
        day_opened = sorted(opened.get(day, []), key=lambda p: (p.opened_at, p.id))
        day_closed = sorted(closed.get(day, []), key=lambda p: (p.closed_at, p.id))
        _judge_day_loss(by_version, day, day_opened, day_closed, ledgers, evaluation)
        close_times = [p.closed_at for p in day_closed if p.closed_at is not None]
        for index, position in enumerate(day_opened):
            version = by_version.at(position.opened_at)
            if version is None:
                continue
            context = _DayContext(day, index, position, day_closed, close_times, zone)
            for rule in version.rules:
                if not rule.enabled or (version.version, rule.id) in evaluation.faults:
                    continue
                finding = _judge(
                    rule, version, position, context, loss_times, time_zone, now, ledgers
                )
                if isinstance(finding, _Fault):
                    logger.warning(
                        "rule %s of plan version %s skipped: %s",
                        rule.id,
                        version.version,
                        finding.reason,
                    )
                    evaluation.faults[(version.version, rule.id)] = finding.reason
                elif finding is not None:
                    evaluation.findings.append(finding)
    return evaluation


@dataclass(frozen=True)
class _Fault:
    reason: str


@dataclass
class _DayContext:
    """The day so far as a position opening on it sees it."""

    day: dt.date
    trades_before: int
    position: PositionFacts
    day_closed: list[PositionFacts]
    close_times: list[dt.datetime]
    zone: ZoneInfo

    def closed_before(self) -> list[PositionFacts]:
        end = bisect.bisect_left(self.close_times, self.position.opened_at)
        return self.day_closed[:end]

    @cached_property
    def values(self) -> dict[str, dict[str, Any]]:
        """What custom rules read, built once for all the custom rules of the plan."""
        return _values(self.position, self)

    def consecutive_losses(self) -> int:
        streak = 0
        for earlier in reversed(self.closed_before()):
            if earlier.outcome != "loss":
                break
            streak += 1
        return streak


def _judge(
    rule: PlanRule,
    version: VersionRules,
    position: PositionFacts,
    context: _DayContext,
    loss_times: list[dt.datetime],
    time_zone: str,
    now: dt.datetime,
    ledgers: Mapping[uuid.UUID, Ledger],
) -> Finding | _Fault | None:
    params = rule.params
    seen: tuple[str, str] | None = None
    if isinstance(params, MaxTradesPerDay):
        number = context.trades_before + 1
        if number > params.count:
            seen = (f"trade {number} of the day", f"{params.count} per day")
    elif isinstance(params, CooldownAfterLoss):
        seen = _cooldown(params, position, loss_times)
    elif isinstance(params, MaxConsecutiveLosses):
        streak = context.consecutive_losses()
        if streak >= params.count:
            seen = (f"opened after {streak} losses in a row", f"stop after {params.count}")
    elif isinstance(params, MaxPositionSize):
        seen = _size(params, position)
    elif isinstance(params, MaxRiskPerTrade):
        seen = _risk(params, position, ledgers.get(position.account_id))
    elif isinstance(params, TradingWindow):
        reason = outside_window(params, position.opened_at, time_zone)
        if reason is not None:
            seen = (reason, _describe_window(params))
    elif isinstance(params, SymbolList):
        seen = _symbols(params, position)
    elif isinstance(params, JournalRequired):
        seen = _journal(params, position, now)
    elif isinstance(params, CustomRule):
        try:
            if not compiled(params.expression).holds(context.values):
                seen = ("expression is false", params.expression[:200])
        except CustomRuleFault as fault:
            return _Fault(str(fault))
    if seen is None:
        return None
    return Finding(
        rule_id=rule.id,
        rule_kind=rule.kind,
        plan_version=version.version,
        position_id=position.id,
        execution_id=position.opening_execution_id,
        day=position.opened_day,
        observed=seen[0][:200],
        allowed=seen[1][:200],
        cost=position.pnl,
        currency=position.currency,
    )


def _cooldown(
    params: CooldownAfterLoss, position: PositionFacts, loss_times: list[dt.datetime]
) -> tuple[str, str] | None:
    # The latest loser closed at or before this open (the position itself never counts).
    index = bisect.bisect_right(loss_times, position.opened_at) - 1
    if index < 0:
        return None
    since = position.opened_at - loss_times[index]
    if since >= dt.timedelta(minutes=params.minutes):
        return None
    return (f"opened {_plain_minutes(since)} min after a loss", f"{params.minutes} min")


def _size(params: MaxPositionSize, position: PositionFacts) -> tuple[str, str] | None:
    if params.asset_class is not None and params.asset_class != position.asset_class:
        return None
    if params.quantity is not None and position.max_quantity > params.quantity:
        return (f"size {_plain(position.max_quantity)}", _plain(params.quantity))
    if params.notional is not None and position.notional > params.notional:
        return (f"notional {_plain(position.notional)}", _plain(params.notional))
    return None


def _symbols(params: SymbolList, position: PositionFacts) -> tuple[str, str] | None:
    names = {position.symbol.upper(), (position.underlying or position.symbol).upper()}
    blocked = {symbol.upper() for symbol in params.blocked_symbols}
    if names & blocked:
        return (f"traded {position.symbol}", "not " + ", ".join(sorted(blocked)))
    allowed = {symbol.upper() for symbol in params.allowed_symbols}
    if allowed and not names & allowed:
        return (f"traded {position.symbol}", "only " + ", ".join(sorted(allowed)))
    classes = set(params.allowed_asset_classes)
    if classes and position.asset_class not in classes:
        return (f"traded a {position.asset_class}", "only " + ", ".join(sorted(classes)))
    return None


def _journal(
    params: JournalRequired, position: PositionFacts, now: dt.datetime
) -> tuple[str, str] | None:
    if position.closed_at is None:
        return None
    due = position.closed_at + dt.timedelta(hours=params.hours)
    if now < due:
        return None
    if position.first_journal_at is not None and position.first_journal_at <= due:
        return None
    return ("no journal entry in time", f"within {params.hours} h of the close")


def _risk(
    params: MaxRiskPerTrade, position: PositionFacts, ledger: Ledger | None
) -> tuple[str, str] | None:
    risk = position.risk
    if risk is None:
        return None
    if params.amount is None and (
        ledger is None or (position.instrument_currency or position.currency) != ledger.currency
    ):
        return None  # a risk in another currency than the account's balance and R
    limit = _limit(params, ledger, position.opened_at, inclusive=True)
    if limit is None or risk <= limit[0]:
        return None
    return (f"risk {_plain(risk)}", limit[1])


def _limit(
    params: MaxDailyLoss | MaxRiskPerTrade,
    ledger: Ledger | None,
    moment: dt.datetime,
    *,
    inclusive: bool,
) -> tuple[Decimal, str] | None:
    """The limit in currency and how it reads; None when the account cannot give it (no
    risk unit for R, no starting balance for a percentage). A percentage is of the balance
    at `moment` (just before it unless `inclusive`), and of nothing when that is negative."""
    if params.amount is not None:
        return params.amount, _plain(params.amount)
    if ledger is None:
        return None
    if params.r_multiple is not None:
        if ledger.risk_unit is None:
            return None
        limit = params.r_multiple * ledger.risk_unit
        return (
            limit,
            f"{_plain(limit)} ({_plain(params.r_multiple)}R of {_plain(ledger.risk_unit)})",
        )
    if params.percent_of_account is not None:
        balance = ledger.balance(moment, inclusive=inclusive)
        if balance is None:
            return None
        limit = max(balance, Decimal(0)) * params.percent_of_account / 100
        return limit, (
            f"{_plain(limit)} ({_plain(params.percent_of_account)}% of {_plain(balance)})"
        )
    return None


def _judge_day_loss(
    by_version: VersionTimeline,
    day: dt.date,
    day_opened: list[PositionFacts],
    day_closed: list[PositionFacts],
    ledgers: Mapping[uuid.UUID, Ledger],
    evaluation: Evaluation,
) -> None:
    """One violation per max-daily-loss rule on a day whose loss passed the limit or
    that went on trading after reaching it; its cost takes in the position that pushed
    past the limit and every position opened after the limit was reached.

    A limit in currency reads the trader's day over every account; one in percent or R
    reads each account's day on its own (in its base currency), a percentage of the
    balance just before the account's first fill of the day.
    """
    # Scope None is the trader's whole day; an account id, that account's day.
    running: dict[uuid.UUID | None, Decimal] = defaultdict(Decimal)
    lowest: dict[uuid.UUID | None, Decimal] = defaultdict(Decimal)
    reached: dict[tuple[uuid.UUID, uuid.UUID | None], tuple[dt.datetime, VersionRules, str]] = {}
    passed: dict[tuple[uuid.UUID, uuid.UUID | None], PositionFacts] = {}
    starts = _day_starts(day_opened, day_closed)
    for position in day_closed:
        ledger = ledgers.get(position.account_id)
        in_account = ledger is not None and position.currency == ledger.currency
        scopes: list[uuid.UUID | None] = [None, position.account_id] if in_account else [None]
        for scope in scopes:
            running[scope] += position.pnl
            lowest[scope] = min(lowest[scope], running[scope])
        version = by_version.at(position.opened_at)
        if version is None:
            continue
        for rule in version.rules:
            params = rule.params
            if not (rule.enabled and isinstance(params, MaxDailyLoss)):
                continue
            scope = None if params.amount is not None else position.account_id
            if scope not in scopes:
                continue
            limit = _limit(params, ledger, starts[position.account_id], inclusive=False)
            if limit is None:
                continue
            key = (rule.id, scope)
            if running[scope] <= -limit[0] and key not in reached:
                assert position.closed_at is not None
                reached[key] = (position.closed_at, version, limit[1])
            if running[scope] < -limit[0] and key not in passed:
                passed[key] = position
    for key, (moment, version, allowed) in reached.items():
        rule_id, scope = key
        after = [
            position
            for position in day_opened
            if position.opened_at >= moment
            and scope in (None, position.account_id)
            and any(rule.id == rule_id for rule in _rules_at(by_version, position))
        ]
        crossing = passed.get(key)
        if crossing is None and not after:
            continue
        breaking = {position.id: position for position in after}
        if crossing is not None:
            breaking[crossing.id] = crossing
        anchor = crossing or after[0]
        evaluation.findings.append(
            Finding(
                rule_id=rule_id,
                rule_kind="max_daily_loss",
                plan_version=version.version,
                position_id=anchor.id,
                execution_id=None,
                day=day,
                observed=f"day's net {_plain(lowest[scope])}"
                + (f", {len(after)} opened after the limit" if after else ""),
                allowed=f"loss up to {allowed}",
                cost=sum((position.pnl for position in breaking.values()), Decimal(0)),
                currency=anchor.currency,
            )
        )


def _day_starts(
    day_opened: list[PositionFacts], day_closed: list[PositionFacts]
) -> dict[uuid.UUID, dt.datetime]:
    """Each account's first fill of the day: the first open or close among its positions."""
    starts: dict[uuid.UUID, dt.datetime] = {}
    for position in day_opened:
        starts.setdefault(position.account_id, position.opened_at)
    for position in day_closed:
        assert position.closed_at is not None
        account = position.account_id
        starts[account] = min(starts.get(account, position.closed_at), position.closed_at)
    return starts


def _rules_at(by_version: VersionTimeline, position: PositionFacts) -> tuple[PlanRule, ...]:
    version = by_version.at(position.opened_at)
    return version.rules if version is not None else ()


def _values(position: PositionFacts, context: _DayContext) -> dict[str, dict[str, Any]]:
    local = position.opened_at.astimezone(context.zone)
    before = context.closed_before()
    return {
        "position": {
            "symbol": position.symbol,
            "underlying": position.underlying or position.symbol,
            "asset_class": position.asset_class,
            "direction": position.direction,
            "status": position.status,
            "quantity": float(position.max_quantity),
            "entry_price": float(position.avg_entry_price),
            "exit_price": float(position.avg_exit_price or 0),
            "notional": float(position.notional),
            "realised_pnl_net": float(position.pnl),
            "fees": float(position.fees),
            "holding_minutes": (position.holding_seconds or 0) / 60,
            "outcome": position.outcome or "",
            "tags": list(position.tags),
            "has_stop": position.initial_stop is not None,
            "risk": float(position.risk or 0),
            "r_multiple": float(position.pnl / position.risk) if position.risk else 0.0,
            "opened_hour": local.hour,
            "opened_minute": local.minute,
            "opened_weekday": WEEKDAYS[local.weekday()],
        },
        "execution": {
            "side": position.opening_side,
            "quantity": float(position.opening_quantity),
            "price": float(position.opening_price),
            "commission": float(position.opening_commission),
            "fees": float(position.opening_fees),
            "hour": local.hour,
            "minute": local.minute,
            "weekday": WEEKDAYS[local.weekday()],
        },
        "day": {
            "date": context.day.isoformat(),
            "weekday": WEEKDAYS[context.day.weekday()],
            "trades_before": context.trades_before,
            "losses_before": sum(1 for earlier in before if earlier.outcome == "loss"),
            "consecutive_losses_before": context.consecutive_losses(),
            "realised_pnl_before": float(sum((p.pnl for p in before), Decimal(0))),
        },
    }


def _describe_window(window: TradingWindow) -> str:
    parts = [",".join(window.weekdays)]
    if window.start is not None and window.end is not None:
        parts.append(f"{window.start:%H:%M}-{window.end:%H:%M}")
    if window.exchange is not None:
        parts.append(
            f"{window.exchange} session"
            + (f" +{window.skip_first_minutes} min" if window.skip_first_minutes else "")
            + (f" -{window.skip_last_minutes} min" if window.skip_last_minutes else "")
        )
    return " ".join(parts)


def _plain(value: Decimal) -> str:
    return format(value.normalize() if value != 0 else Decimal(0), "f")


def _plain_minutes(delta: dt.timedelta) -> str:
    return f"{delta.total_seconds() / 60:g}"
