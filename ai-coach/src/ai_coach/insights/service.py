"""Computing a trader's insights from core's data and storing the new ones through core."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from ai_coach.auth import AuthenticatedUser
from ai_coach.contracts.insight_create import InsightCreate
from ai_coach.contracts.insight_list import Insight, InsightList
from ai_coach.contracts.position_page import Position
from ai_coach.core import CoreClient
from ai_coach.insights.disposition import detect_disposition_effect
from ai_coach.insights.performance import detect_performance_summary
from ai_coach.positions import trades_by_currency

DETECTORS = (detect_disposition_effect, detect_performance_summary)

# Two insights are the same when they say the same kind of thing about the same sample.
InsightKey = tuple[str, str | None, dt.date | None, dt.date | None, int]


def compute_insights(positions: Sequence[Position]) -> list[InsightCreate]:
    """Every insight the detectors find, per currency (P&L of different currencies never mix)."""
    found = []
    for currency, trades in trades_by_currency(positions).items():
        for detector in DETECTORS:
            insight = detector(trades, currency)
            if insight is not None:
                found.append(insight)
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
        computed = compute_insights(positions)
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
