"""How well the trader keeps to the plan: adherence per rule and overall, P&L with and
without the trades that broke it, and streaks of compliant days."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from tradeloop_contracts import Adherence, PnlWithoutViolations, RuleAdherence

from core_api.accounts.models import AccountRecord
from core_api.plans.engine import VersionTimeline
from core_api.plans.models import ViolationRecord
from core_api.plans.propfirm import TARGET_KINDS
from core_api.plans.repository import PlanRepository, of_account
from core_api.plans.service import costs_of, version_of
from core_api.positions.models import PositionRecord
from core_api.statistics.calculations import rate


def adherence(
    session: Session,
    user_id: uuid.UUID,
    start: dt.date | None = None,
    end: dt.date | None = None,
    account_id: uuid.UUID | None = None,
) -> Adherence:
    """Adherence over the positions opened on trading days `start` to `end` (inclusive), of
    one account when `account_id` is given (its positions and the violations naming them).

    A rule is checked on every position opened while a version holding it (enabled) was
    in force; it is violated on the positions it flagged. The overall rate is compliant
    checks over all checks. Rates are rounded half-even to 4 places and absent when
    nothing was checked. A trading day with judged positions is compliant when it has
    no violation; the current streak ends at the last such day.
    """
    timeline = VersionTimeline(
        [version_of(record) for record in PlanRepository(session, user_id).versions()]
    )
    of_the_account = [] if account_id is None else [of_account(user_id, account_id)]
    violations = session.scalars(
        select(ViolationRecord).where(
            ViolationRecord.user_id == user_id,
            *_period(ViolationRecord.day, start, end),
            *of_the_account,
        )
    ).all()
    flagged_by_rule: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for violation in violations:
        if violation.position_id is not None:
            flagged_by_rule[violation.rule_id].add(violation.position_id)
    flagged = set().union(*flagged_by_rule.values())
    checked: dict[uuid.UUID, int] = defaultdict(int)
    names: dict[uuid.UUID, tuple[str, str]] = {}
    net: dict[str, Decimal] = defaultdict(Decimal)
    net_compliant: dict[str, Decimal] = defaultdict(Decimal)
    violating: dict[str, int] = defaultdict(int)
    days: set[dt.date] = set()
    for position in session.scalars(
        select(PositionRecord).where(
            PositionRecord.user_id == user_id,
            *_period(PositionRecord.opened_day, start, end),
            *([] if account_id is None else [PositionRecord.account_id == account_id]),
        )
    ):
        version = timeline.at(position.opened_at)
        if version is None or position.opened_day is None:
            continue
        days.add(position.opened_day)
        for rule in version.rules:
            # A target (trading days) is never broken, so it is no check kept.
            if rule.enabled and rule.kind not in TARGET_KINDS:
                checked[rule.id] += 1
                names[rule.id] = (rule.name, rule.kind)
        if position.status != "closed":
            continue
        in_base = position.realised_pnl_net_base is not None
        currency = _base_currency(session, position.account_id) if in_base else position.currency
        pnl = position.realised_pnl_net_base if in_base else position.realised_pnl_net
        assert pnl is not None
        net[currency] += pnl
        if position.id in flagged:
            violating[currency] += 1
        else:
            net_compliant[currency] += pnl
    bad_days = {violation.day for violation in violations}
    current, longest = _streaks(sorted(days), bad_days)
    rules = [
        RuleAdherence(
            rule_id=rule_id,
            name=names[rule_id][0],
            kind=names[rule_id][1],
            evaluated=count,
            violated=len(flagged_by_rule[rule_id]),
            adherence_rate=rate(count - len(flagged_by_rule[rule_id]), count),
            costs=costs_of(v for v in violations if v.rule_id == rule_id),
        )
        for rule_id, count in checked.items()
    ]
    all_checks = sum(rule.evaluated for rule in rules)
    return Adherence(
        period_start=start,
        period_end=end,
        adherence_rate=rate(all_checks - sum(rule.violated for rule in rules), all_checks),
        rules=rules,
        pnl=[
            PnlWithoutViolations(
                currency=currency,
                net_pnl=net[currency],
                net_pnl_without_violations=net_compliant[currency],
                violating_positions=violating[currency],
            )
            for currency in sorted(net)
        ],
        current_streak_days=current,
        longest_streak_days=longest,
    )


def _period(column: Any, start: dt.date | None, end: dt.date | None) -> list[Any]:
    conditions = []
    if start is not None:
        conditions.append(column >= start)
    if end is not None:
        conditions.append(column <= end)
    return conditions


def _base_currency(session: Session, account_id: uuid.UUID) -> str:
    # The session's identity map holds each account after its first position.
    return session.get_one(AccountRecord, account_id).base_currency


def _streaks(days: list[dt.date], bad_days: set[dt.date]) -> tuple[int, int]:
    """The run of compliant trading days ending at the last one, and the longest run."""
    current = longest = 0
    for day in days:
        current = 0 if day in bad_days else current + 1
        longest = max(longest, current)
    return current, longest
