"""How well the trader keeps to the plan: adherence per rule and overall, P&L with and
without the trades that broke it, and streaks of compliant days."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from core_api.plans.engine import VersionTimeline
from core_api.plans.models import ViolationRecord
from core_api.plans.repository import PlanRepository
from core_api.plans.service import version_of
from core_api.positions.models import PositionRecord

RATE_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class RuleAdherence:
    rule_id: uuid.UUID
    name: str
    kind: str
    judged: int
    broken: int
    rate: Decimal | None
    cost: Decimal


@dataclass(frozen=True)
class Adherence:
    """Positions judged under any version; a position is compliant when no rule flagged it.

    Rates are compliant / judged, rounded half-even to 4 places, None when nothing was
    judged. A day is compliant when it has judged positions and no violation.
    """

    judged: int
    compliant: int
    rate: Decimal | None
    pnl_all: Decimal
    pnl_compliant: Decimal
    compliant_days_streak: int
    longest_compliant_days_streak: int
    rules: list[RuleAdherence]


def adherence(session: Session, user_id: uuid.UUID) -> Adherence:
    """The trader's adherence to their plan over their whole history."""
    timeline = VersionTimeline(
        [version_of(record) for record in PlanRepository(session, user_id).versions()]
    )
    violations = session.execute(
        select(
            ViolationRecord.rule_id,
            ViolationRecord.position_id,
            ViolationRecord.day,
            ViolationRecord.cost,
        ).where(ViolationRecord.user_id == user_id)
    ).all()
    flagged = {position_id for _, position_id, _, _ in violations if position_id}
    flagged_by_rule: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    cost_by_rule: dict[uuid.UUID, Decimal] = defaultdict(Decimal)
    for rule_id, position_id, _, cost in violations:
        if position_id is not None:
            flagged_by_rule[rule_id].add(position_id)
        cost_by_rule[rule_id] += cost
    bad_days = {day for _, _, day, _ in violations}
    judged_by_rule: dict[uuid.UUID, int] = defaultdict(int)
    names: dict[uuid.UUID, tuple[str, str]] = {}
    judged = compliant = 0
    pnl_all = pnl_compliant = Decimal(0)
    days: set[dt.date] = set()
    for position_id, opened_at, opened_day, net, net_base in session.execute(
        select(
            PositionRecord.id,
            PositionRecord.opened_at,
            PositionRecord.opened_day,
            PositionRecord.realised_pnl_net,
            PositionRecord.realised_pnl_net_base,
        ).where(PositionRecord.user_id == user_id)
    ):
        version = timeline.at(opened_at)
        if version is None or opened_day is None:
            continue
        judged += 1
        days.add(opened_day)
        pnl = net_base if net_base is not None else net
        pnl_all += pnl
        if position_id not in flagged:
            compliant += 1
            pnl_compliant += pnl
        for rule in version.rules:
            if rule.enabled:
                judged_by_rule[rule.id] += 1
                names[rule.id] = (rule.name, rule.kind)
    current, longest = _streaks(sorted(days), bad_days)
    return Adherence(
        judged=judged,
        compliant=compliant,
        rate=_rate(compliant, judged),
        pnl_all=pnl_all,
        pnl_compliant=pnl_compliant,
        compliant_days_streak=current,
        longest_compliant_days_streak=longest,
        rules=[
            RuleAdherence(
                rule_id=rule_id,
                name=names[rule_id][0],
                kind=names[rule_id][1],
                judged=count,
                broken=len(flagged_by_rule[rule_id]),
                rate=_rate(count - len(flagged_by_rule[rule_id]), count),
                cost=cost_by_rule[rule_id],
            )
            for rule_id, count in judged_by_rule.items()
        ],
    )


def _streaks(days: list[dt.date], bad_days: set[dt.date]) -> tuple[int, int]:
    """The run of compliant trading days ending at the last one, and the longest run."""
    current = longest = 0
    for day in days:
        current = 0 if day in bad_days else current + 1
        longest = max(longest, current)
    return current, longest


def _rate(part: int, whole: int) -> Decimal | None:
    if whole == 0:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(RATE_PLACES, rounding=ROUND_HALF_EVEN)
