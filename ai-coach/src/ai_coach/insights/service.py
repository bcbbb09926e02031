"""Computing a trader's insights from core's data and storing the new ones through core."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from ai_coach.analytics import ClosedTrade
from ai_coach.auth import AuthenticatedUser
from ai_coach.contracts.insight_create import InsightCreate
from ai_coach.contracts.insight_list import Insight, InsightList
from ai_coach.contracts.journal_entry_page import JournalEntry
from ai_coach.contracts.position_page import Position
from ai_coach.contracts.violation_page import Violation
from ai_coach.core import CoreClient
from ai_coach.insights.activity import overtrading_candidates, timing_candidates
from ai_coach.insights.disposition import disposition_candidates
from ai_coach.insights.excursion import excursion_candidates
from ai_coach.insights.findings import Candidate, discoveries
from ai_coach.insights.performance import detect_performance_summary
from ai_coach.insights.segments import negative_expectancy_candidates
from ai_coach.insights.sequence import (
    follows,
    revenge_candidates,
    size_creep_candidates,
    tilt_candidates,
)
from ai_coach.insights.violations import violation_candidates
from ai_coach.positions import trades_by_currency
from ai_coach.reflections.detector import theme_candidates
from ai_coach.reflections.themes import TaggedEntry, tag_entries

UTC = ZoneInfo("UTC")


def candidates(
    trades: Sequence[ClosedTrade],
    currency: str,
    time_zone: ZoneInfo = UTC,
    journal: Sequence[TaggedEntry] = (),
    violations: Sequence[Violation] = (),
) -> list[Candidate]:
    """Every test of every behavioural detector on one currency's trades, journal and
    plan violations."""
    order = follows(trades)
    return [
        *disposition_candidates(trades, currency),
        *revenge_candidates(trades, order, currency),
        *tilt_candidates(trades, currency),
        *size_creep_candidates(trades, order, currency),
        *overtrading_candidates(trades, currency, time_zone),
        *timing_candidates(trades, currency, time_zone),
        *negative_expectancy_candidates(trades, currency),
        *excursion_candidates(trades, currency),
        *theme_candidates(trades, journal, currency, time_zone),
        *violation_candidates(trades, violations, currency),
    ]


def detect_all(
    trades: Sequence[ClosedTrade],
    currency: str,
    time_zone: ZoneInfo = UTC,
    journal: Sequence[TaggedEntry] = (),
    violations: Sequence[Violation] = (),
) -> list[InsightCreate]:
    """The performance summary (descriptive) and the behaviours that survive BH control."""
    found = discoveries(candidates(trades, currency, time_zone, journal, violations))
    summary = detect_performance_summary(trades, currency)
    return [summary, *found] if summary is not None else found


# Two insights are the same when they say the same kind of thing about the same sample.
InsightKey = tuple[str, str | None, dt.date | None, dt.date | None, int]


def compute_insights(
    positions: Sequence[Position],
    time_zone: ZoneInfo = UTC,
    journal: Sequence[JournalEntry] = (),
    violations: Sequence[Violation] = (),
) -> list[InsightCreate]:
    """Every insight the detectors find, per currency (P&L of different currencies never mix)."""
    tagged = tag_entries(journal, time_zone)
    found = []
    for currency, trades in trades_by_currency(positions).items():
        found.extend(detect_all(trades, currency, time_zone, tagged, violations))
    return found


def insight_key(insight: Insight | InsightCreate) -> InsightKey:
    """What makes an insight a repeat: kind, currency, period and sample size."""
    return (
        insight.kind,
        insight.currency,
        insight.period_start,
        insight.period_end,
        insight.evidence.sample_size,
    )


class CoachService:
    """Computes a trader's insights and stores each new one once."""

    def __init__(self, core: CoreClient) -> None:
        self._core = core

    async def refresh_insights(self, user: AuthenticatedUser) -> InsightList:
        """The insights that hold on the user's closed positions now, most recent first.

        Insights core already holds for the same kind, period and sample are returned as
        stored, not stored again. Raises CoreUnavailableError when core cannot be used.
        """
        positions = await self._core.list_closed_positions(user.id)
        journal = await self._core.list_journal_entries(user.id) if positions else []
        violations = await self._core.list_violations(user.id) if positions else []
        computed = compute_insights(positions, journal=journal, violations=violations)
        if not computed:
            return InsightList(items=[])
        stored = {
            insight_key(item): item for item in (await self._core.list_insights(user.token)).items
        }
        current = []
        for insight in computed:
            existing = stored.get(insight_key(insight))
            if existing is None:
                existing = await self._core.create_insight(user.id, insight)
                stored[insight_key(existing)] = existing
            current.append(existing)
        current.sort(key=lambda item: item.created_at, reverse=True)
        return InsightList(items=current)
