"""How far each account is from each limit of the plan in force, right now.

Daily loss, trades per day and losing streaks are judged over every account together
(as the engine judges them), so each account shows the trader's figures for its current
trading day; the prop-firm kinds are the account's own. Definitions: docs/decisions/0018.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy.orm import Session
from tradeloop_contracts import (
    ConsistencyRule,
    LimitDistance,
    LimitUnit,
    MaxConsecutiveLosses,
    MaxDailyLoss,
    MaxOpenContracts,
    MaxTradesPerDay,
    MinTradingDays,
    PlanLimits,
    TrailingDrawdown,
)

from core_api.accounts.models import AccountRecord
from core_api.accounts.repository import AccountRepository
from core_api.errors import NotFoundError
from core_api.instruments.sessions import trading_day
from core_api.plans.engine import PlanRule
from core_api.plans.propfirm import (
    RuleRun,
    Trade,
    consistency_days,
    day_share,
    drawdown_curve,
    needs_open_changes,
    open_quantities,
    rule_runs,
)
from core_api.plans.repository import PlanRepository
from core_api.plans.service import version_of


def plan_limits(
    session: Session, user_id: uuid.UUID, now: dt.datetime, account_id: uuid.UUID | None = None
) -> PlanLimits:
    """Per account (oldest first; only `account_id` when given) and per limit rule of the
    plan in force (in plan order), the distance at `now`; NotFoundError before the
    trader's first plan.

    A `max_daily_loss` given only as a share of the account or in R has no amount to
    measure against here and is left out.
    """
    repository = PlanRepository(session, user_id)
    versions = [version_of(record) for record in repository.versions()]
    if not versions:
        raise NotFoundError("trading plan")
    runs = {run.rule.id: run for run in rule_runs(versions) if run.end is None}
    rules = [rule for rule in versions[-1].rules if rule.id in runs]
    if not rules:
        return PlanLimits(as_of=now, items=[])
    positions = repository.trades()
    changes = repository.open_changes() if needs_open_changes(versions[-1:]) else []
    quantities = open_quantities(positions, changes)
    items: list[LimitDistance] = []
    for account in AccountRepository(session, user_id).list():
        if account_id is not None and account.id != account_id:
            continue
        mine = [position for position in positions if position.account_id == account.id]
        today = _today(mine, account, now)
        for rule in rules:
            item = _distance(
                _Scope(rule, runs[rule.id], account, today, positions, mine), quantities
            )
            if item is not None:
                items.append(item)
    return PlanLimits(as_of=now, items=items)


class _Scope:
    """One rule on one account's current trading day."""

    def __init__(
        self,
        rule: PlanRule,
        run: RuleRun,
        account: AccountRecord,
        today: dt.date,
        everyone: Sequence[Trade],
        mine: Sequence[Trade],
    ) -> None:
        self.rule = rule
        self.account = account
        self.today = today
        # Every account's positions (the day rules' view), the account's, and the account's
        # opened under the rule as it stands.
        self.everyone = everyone
        self.mine = mine
        self.trades = [position for position in mine if run.holds(position)]

    def item(
        self,
        unit: LimitUnit,
        limit: Decimal,
        current: Decimal,
        remaining: Decimal,
        breached: bool | None = None,
    ) -> LimitDistance:
        return LimitDistance(
            rule_id=self.rule.id,
            name=self.rule.name,
            kind=self.rule.kind,
            account_id=self.account.id,
            unit=unit,
            currency=self.account.base_currency if unit == "currency" else None,
            limit=limit,
            current=current,
            remaining=remaining,
            breached=remaining < 0 if breached is None else breached,
        )


def _distance(scope: _Scope, quantities: dict[uuid.UUID, Decimal]) -> LimitDistance | None:
    params = scope.rule.params
    today = scope.today
    if isinstance(params, MaxDailyLoss):
        if params.amount is None:
            return None
        net = sum((p.pnl for p in scope.everyone if p.closed_day == today), Decimal(0))
        # Room until the day's net reaches −amount; exactly there is the limit, not past it.
        return scope.item("currency", params.amount, -net, params.amount + net)
    if isinstance(params, MaxTradesPerDay):
        trades = sum(1 for p in scope.everyone if p.opened_day == today)
        return scope.item(
            "trades", Decimal(params.count), Decimal(trades), Decimal(params.count - trades)
        )
    if isinstance(params, MaxConsecutiveLosses):
        streak = 0
        closed = sorted(
            (p for p in scope.everyone if p.closed_day == today and p.closed_at is not None),
            key=lambda p: (p.closed_at, p.id),
        )
        for position in reversed(closed):
            if position.outcome != "loss":
                break
            streak += 1
        # At the count the next trade breaks the rule; past it, one already did.
        return scope.item(
            "losses", Decimal(params.count), Decimal(streak), Decimal(params.count - streak)
        )
    if isinstance(params, TrailingDrawdown):
        curve = drawdown_curve(params, scope.trades)
        curve.enter(today)
        room = curve.equity - curve.floor
        return scope.item("currency", params.amount, params.amount - room, room, curve.under)
    if isinstance(params, ConsistencyRule):
        days = consistency_days(scope.trades)
        nets = [sum((p.pnl for p in closed), Decimal(0)) for closed in days.values()]
        total, best = sum(nets, Decimal(0)), max(nets, default=Decimal(0))
        share = day_share(best, total) if total > 0 else Decimal(0)
        limit = params.max_day_share_percent
        breached = total > 0 and best * 100 > limit * total
        return scope.item("percent", limit, share, limit - share, breached)
    if isinstance(params, MinTradingDays):
        traded = {p.opened_day for p in scope.trades} | {
            p.closed_day for p in scope.trades if p.closed_day is not None
        }
        left = max(params.count - len(traded), 0)
        return scope.item("days", Decimal(params.count), Decimal(len(traded)), Decimal(left), False)
    if isinstance(params, MaxOpenContracts):
        held = sum(
            (quantities[p.id] for p in scope.mine if params.asset_class in (None, p.asset_class)),
            Decimal(0),
        )
        return scope.item("contracts", params.count, held, params.count - held)
    return None


def _today(positions: Sequence[Trade], account: AccountRecord, now: dt.datetime) -> dt.date:
    """The account's current trading day, by the session rule of what it traded last."""
    latest = max(positions, key=lambda p: (p.opened_at, p.id), default=None)
    return trading_day(now, latest.asset_class if latest else "stock", account.time_zone)
