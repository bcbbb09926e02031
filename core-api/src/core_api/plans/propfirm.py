"""Prop-firm rules, judged over an account's history rather than one trading day.

A trailing drawdown or a consistency rule looks at every trade of the account since the
rule came into force, and open contracts at every fill of every position that was open
at once, so these rules are judged over the whole history on every evaluation (an
import's few days included); the day-by-day rules stay in `engine.py`. Pure code over
the engine's plain values. Definitions: docs/decisions/0018.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

from tradeloop_contracts import ConsistencyRule, MaxOpenContracts, TrailingDrawdown

from core_api.plans.engine import Finding, PlanRule, VersionRules, VersionTimeline, _plain

# Kinds judged over the account's history, and targets that are never a violation.
ACCOUNT_KINDS = frozenset({"trailing_drawdown", "consistency", "max_open_contracts"})
TARGET_KINDS = frozenset({"min_trading_days"})
PERCENT_PLACES = Decimal("0.01")


@dataclass(frozen=True)
class Trade:
    """What these rules see of a position: when it opened and closed, on which trading
    days, and its net P&L (in the account's base currency where the fills carry a rate)."""

    id: uuid.UUID
    account_id: uuid.UUID
    asset_class: str
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    opened_day: dt.date
    closed_day: dt.date | None
    pnl: Decimal
    currency: str
    outcome: str | None


@dataclass(frozen=True)
class OpenChange:
    """One fill's share in a position: how much it added to (+) or took from (−) the
    position's open quantity, when, and on which trading day."""

    position_id: uuid.UUID
    at: dt.datetime
    day: dt.date
    change: Decimal


@dataclass(frozen=True)
class RuleRun:
    """A stretch of time over which a rule stood unchanged: the same id, enabled, the same
    parameters, in consecutive plan versions; `end` is None while it is in force."""

    rule: PlanRule
    start: dt.datetime
    end: dt.datetime | None

    def holds(self, position: Trade) -> bool:
        """Whether the position opened while the run was in force (so the rule judges it)."""
        return self.start <= position.opened_at and (
            self.end is None or position.opened_at < self.end
        )


def holds_account_rules(versions: Iterable[VersionRules]) -> bool:
    """Whether any version has an enabled rule judged over the account's history."""
    return any(
        rule.enabled and rule.kind in ACCOUNT_KINDS
        for version in versions
        for rule in version.rules
    )


def needs_open_changes(versions: Iterable[VersionRules]) -> bool:
    """Whether any version has an enabled `max_open_contracts` rule (which reads fills)."""
    return any(
        rule.enabled and isinstance(rule.params, MaxOpenContracts)
        for version in versions
        for rule in version.rules
    )


def rule_runs(versions: Sequence[VersionRules]) -> list[RuleRun]:
    """Every run of every enabled rule, in order of its start."""
    ordered = sorted(versions, key=lambda version: version.effective_from)
    current: dict[uuid.UUID, RuleRun] = {}
    runs: list[RuleRun] = []
    for index, version in enumerate(ordered):
        end = ordered[index + 1].effective_from if index + 1 < len(ordered) else None
        for rule in version.rules:
            if not rule.enabled:
                continue
            run = current.get(rule.id)
            if (
                run is not None
                and run.end == version.effective_from
                and run.rule.params == rule.params
            ):
                current[rule.id] = replace(run, end=end)
                continue
            if run is not None:
                runs.append(run)
            current[rule.id] = RuleRun(rule, version.effective_from, end)
    runs.extend(current.values())
    return sorted(runs, key=lambda run: (run.start, str(run.rule.id)))


def judge(
    versions: Sequence[VersionRules],
    positions: Sequence[Trade],
    changes: Sequence[OpenChange],
) -> list[Finding]:
    """Every violation of the account-history rules over all of `positions`, which must
    be every position of the trader (and `changes` every fill share of them when a
    version holds `max_open_contracts`)."""
    timeline = VersionTimeline(versions)
    by_account: dict[uuid.UUID, list[Trade]] = defaultdict(list)
    for position in positions:
        by_account[position.account_id].append(position)
    findings: list[Finding] = []
    for run in rule_runs(versions):
        params = run.rule.params
        if not isinstance(params, TrailingDrawdown | ConsistencyRule):
            continue
        for account_positions in by_account.values():
            trades = [position for position in account_positions if run.holds(position)]
            if isinstance(params, TrailingDrawdown):
                findings += _trailing_drawdown(run, params, trades, timeline)
            else:
                findings += _consistency(run, params, trades, timeline)
    if changes:
        findings += _open_contracts(timeline, positions, changes)
    return findings


@dataclass
class DrawdownCurve:
    """Equity (cumulative realised net P&L from 0, the start) and the trailing floor of one
    run of trades, stepped through in time order.

    The high-water mark starts at 0 and rises with every close (`intraday`) or with the
    equity at each trading day's end (`end_of_day`); the floor is the mark less `amount`,
    and with `lock_at` it stops rising once it reaches the start plus `lock_at`.
    """

    params: TrailingDrawdown
    equity: Decimal = Decimal(0)
    mark: Decimal = Decimal(0)
    day: dt.date | None = None

    @property
    def floor(self) -> Decimal:
        floor = self.mark - self.params.amount
        return floor if self.params.lock_at is None else min(floor, self.params.lock_at)

    @property
    def under(self) -> bool:
        """Equity below the floor; exactly at it is not."""
        return self.equity < self.floor

    def enter(self, day: dt.date) -> None:
        """Moves to `day`; a day that ended raises the end-of-day mark to its equity."""
        if self.day is not None and day > self.day and self.params.basis == "end_of_day":
            self.mark = max(self.mark, self.equity)
        if self.day is None or day > self.day:
            self.day = day

    def close(self, pnl: Decimal) -> None:
        self.equity += pnl
        if self.params.basis == "intraday":
            self.mark = max(self.mark, self.equity)


def drawdown_curve(params: TrailingDrawdown, trades: Iterable[Trade]) -> DrawdownCurve:
    """The curve after every close of `trades`."""
    curve = DrawdownCurve(params)
    for position in sorted(
        (position for position in trades if position.closed_at is not None),
        key=lambda position: (position.closed_at, position.id),
    ):
        assert position.closed_day is not None
        curve.enter(position.closed_day)
        curve.close(position.pnl)
    return curve


@dataclass
class _Breach:
    """What broke a trailing drawdown on one day: the close that took equity under the
    floor and the positions opened while under it."""

    positions: dict[uuid.UUID, Trade] = field(default_factory=dict)
    low: Decimal | None = None
    floor: Decimal = Decimal(0)


def _trailing_drawdown(
    run: RuleRun, params: TrailingDrawdown, trades: list[Trade], timeline: VersionTimeline
) -> list[Finding]:
    """One violation per trading day on which a close took equity under the floor, or a
    position opened while it was under; it costs those positions' P&L."""
    # Closes before opens at one moment: an open at the breach's moment trades on after it.
    events = sorted(
        [(position.closed_at, 0, position) for position in trades if position.closed_at]
        + [(position.opened_at, 1, position) for position in trades],
        key=lambda event: (event[0], event[1], event[2].id),
    )
    curve = DrawdownCurve(params)
    breaches: dict[dt.date, _Breach] = {}
    for _, is_open, position in events:
        day = position.opened_day if is_open else position.closed_day
        assert day is not None
        curve.enter(day)
        was_under = curve.under
        if not is_open:
            curve.close(position.pnl)
        if not curve.under:
            continue
        if is_open or not was_under:
            breaches.setdefault(day, _Breach()).positions.setdefault(position.id, position)
        breach = breaches.get(day)
        if breach is not None and (breach.low is None or curve.equity < breach.low):
            breach.low, breach.floor = curve.equity, curve.floor
    lock = f", locked at {_plain(params.lock_at)}" if params.lock_at is not None else ""
    basis = "intraday" if params.basis == "intraday" else "end of day"
    return [
        _finding(
            run,
            timeline,
            day,
            list(breach.positions.values()),
            observed=f"equity {_plain(breach.low or Decimal(0))} under the floor "
            f"{_plain(breach.floor)}",
            allowed=f"{_plain(params.amount)} below the high ({basis}){lock}",
        )
        for day, breach in breaches.items()
    ]


def consistency_days(trades: Iterable[Trade]) -> dict[dt.date, list[Trade]]:
    """The closed `trades` by the trading day they closed on."""
    days: dict[dt.date, list[Trade]] = defaultdict(list)
    for position in trades:
        if position.closed_day is not None:
            days[position.closed_day].append(position)
    return days


def day_share(net: Decimal, total: Decimal) -> Decimal:
    """A day's net as a percentage of the period's net, to 2 places."""
    return (net * 100 / total).quantize(PERCENT_PLACES)


def _consistency(
    run: RuleRun, params: ConsistencyRule, trades: list[Trade], timeline: VersionTimeline
) -> list[Finding]:
    """A violation on each trading day whose net is more than the share of the period's
    net, while that is a profit; it costs the day's net."""
    days = consistency_days(trades)
    nets = {
        day: sum((position.pnl for position in closed), Decimal(0)) for day, closed in days.items()
    }
    total = sum(nets.values(), Decimal(0))
    if total <= 0:
        return []
    findings = []
    for day, net in sorted(nets.items()):
        if net * 100 <= params.max_day_share_percent * total:
            continue
        findings.append(
            _finding(
                run,
                timeline,
                day,
                # The day's best trade first: it stands for the day.
                sorted(days[day], key=lambda position: (-position.pnl, position.id)),
                observed=f"day's net {_plain(net)} is {_plain(day_share(net, total))}% "
                f"of {_plain(total)}",
                allowed=f"at most {_plain(params.max_day_share_percent)}% of the net profit",
            )
        )
    return findings


def open_quantities(
    positions: Iterable[Trade], changes: Iterable[OpenChange]
) -> dict[uuid.UUID, Decimal]:
    """Each position's open quantity after all of `changes` (positions without one: 0)."""
    quantities = {position.id: Decimal(0) for position in positions}
    for change in changes:
        if change.position_id in quantities:
            quantities[change.position_id] += change.change
    return quantities


def _open_contracts(
    timeline: VersionTimeline, positions: Sequence[Trade], changes: Sequence[OpenChange]
) -> list[Finding]:
    """A violation per position and trading day on which one of its fills added to the
    account's open quantity (of the asset class, when the rule names one) and left it
    above the count; it costs the position's P&L."""
    by_id = {position.id: position for position in positions}
    held: dict[tuple[uuid.UUID, str], Decimal] = defaultdict(Decimal)
    found: dict[tuple[uuid.UUID, uuid.UUID, dt.date], tuple[PlanRule, int, Decimal]] = {}
    # At one moment what is taken off counts before what is added (a fill crossing zero).
    for change in sorted(
        changes, key=lambda change: (change.at, change.change, change.position_id)
    ):
        position = by_id.get(change.position_id)
        if position is None:
            continue
        held[(position.account_id, position.asset_class)] += change.change
        version = timeline.at(position.opened_at)
        if change.change <= 0 or version is None:
            continue
        for rule in version.rules:
            params = rule.params
            if not (rule.enabled and isinstance(params, MaxOpenContracts)):
                continue
            if params.asset_class not in (None, position.asset_class):
                continue
            total = sum(
                (
                    quantity
                    for (account_id, asset_class), quantity in held.items()
                    if account_id == position.account_id
                    and params.asset_class in (None, asset_class)
                ),
                Decimal(0),
            )
            if total <= params.count:
                continue
            key = (rule.id, position.id, change.day)
            most = max(total, found[key][2]) if key in found else total
            found[key] = (rule, version.version, most)
    findings = []
    for (_, position_id, day), (rule, version_number, most) in found.items():
        params = rule.params
        position = by_id[position_id]
        scope = f" {params.asset_class}" if params.asset_class else ""
        findings.append(
            Finding(
                rule_id=rule.id,
                rule_kind=rule.kind,
                plan_version=version_number,
                position_id=position.id,
                execution_id=None,
                day=day,
                observed=f"{_plain(most)}{scope} open at once",
                allowed=f"at most {_plain(params.count)}{scope}",
                cost=position.pnl,
                currency=position.currency,
            )
        )
    return findings


def _finding(
    run: RuleRun,
    timeline: VersionTimeline,
    day: dt.date,
    positions: list[Trade],
    *,
    observed: str,
    allowed: str,
) -> Finding:
    """A day's violation on its first position, costing the P&L of all of `positions`."""
    anchor = positions[0]
    version = timeline.at(anchor.opened_at)
    assert version is not None  # the run holds the anchor, so a version was in force
    return Finding(
        rule_id=run.rule.id,
        rule_kind=run.rule.kind,
        plan_version=version.version,
        position_id=anchor.id,
        execution_id=None,
        day=day,
        observed=observed[:200],
        allowed=allowed[:200],
        cost=sum((position.pnl for position in positions), Decimal(0)),
        currency=anchor.currency,
    )
