"""`GET /v1/reflections/themes`: emotions and mistakes in the journal, per week and vs P&L."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request

from ai_coach.analytics import ClosedTrade, win_rate, within
from ai_coach.analytics.endpoints import resolve_time_zone
from ai_coach.auth import CurrentUser
from ai_coach.contracts.problem import Problem, ProblemField
from ai_coach.contracts.reflection_themes import (
    EntryLabels,
    PhraseCount,
    ReflectionThemes,
    Theme,
    ThemePerformance,
    WeekThemes,
)
from ai_coach.core import CoreClient
from ai_coach.errors import InvalidInputError
from ai_coach.insights.evidence import money
from ai_coach.positions import trades_by_currency
from ai_coach.reflections.lexicon import LABELS_BY_NAME
from ai_coach.reflections.themes import (
    LabelCount,
    TaggedEntry,
    count_labels,
    split_days,
    tag_entries,
    weekly_labels,
)

router = APIRouter(prefix="/v1", tags=["reflections"])


def themes_of(counts: dict[str, LabelCount]) -> list[Theme]:
    """The themes of label counts, most frequent first."""
    themes = [
        Theme(
            label=label,
            category=LABELS_BY_NAME[label].category,
            entries=count.entries,
            days=len(count.days),
            phrases=[
                PhraseCount(phrase=phrase, entries=entries)
                for phrase, entries in sorted(count.phrases.items(), key=lambda i: -i[1])
            ],
            suggested_rule=LABELS_BY_NAME[label].rule,
        )
        for label, count in counts.items()
    ]
    return sorted(themes, key=lambda theme: -theme.entries)


def _mean(values: Sequence[Decimal]) -> Decimal | None:
    return money(sum(values, Decimal(0)) / len(values)) if values else None


def performance_of(
    tagged: Sequence[TaggedEntry],
    trades_by: dict[str, list[ClosedTrade]],
    time_zone: ZoneInfo,
) -> list[ThemePerformance]:
    """Per currency and label: daily P&L and win rate on days with and without the label."""
    labels = list(count_labels(tagged))
    rows = []
    for currency, trades in trades_by.items():
        for label in labels:
            split = split_days(label, tagged, trades, time_zone)
            if not split.days_with:
                continue
            rows.append(
                ThemePerformance(
                    currency=currency,
                    label=label,
                    days_with=len(split.days_with),
                    days_without=len(split.days_without),
                    mean_daily_pnl_with=_mean(split.pnl_with),
                    mean_daily_pnl_without=_mean(split.pnl_without),
                    win_rate_with=win_rate(split.trades_with),
                    win_rate_without=win_rate(split.trades_without),
                )
            )
    return rows


def reflection_themes(
    tagged: Sequence[TaggedEntry],
    trades_by: dict[str, list[ClosedTrade]],
    start: dt.date | None,
    end: dt.date | None,
    zone_name: str,
) -> ReflectionThemes:
    """The themes of the entries and trades of days from `start` to `end` (inclusive)."""
    zone = ZoneInfo(zone_name)
    chosen = [
        entry
        for entry in tagged
        if (start is None or entry.day >= start) and (end is None or entry.day <= end)
    ]
    trades_in = {
        currency: within(trades, start, end, zone) for currency, trades in trades_by.items()
    }
    by_week: dict[dt.date, int] = {}
    for entry in chosen:
        week = entry.day - dt.timedelta(days=entry.day.weekday())
        by_week[week] = by_week.get(week, 0) + 1
    return ReflectionThemes(
        start=start,
        end=end,
        time_zone=zone_name,
        entries=len(chosen),
        themes=themes_of(count_labels(chosen)),
        weeks=[
            WeekThemes(week=week, entries=by_week[week], themes=themes_of(counts))
            for week, counts in weekly_labels(chosen).items()
        ],
        performance=performance_of(chosen, trades_in, zone),
        evidence=[
            EntryLabels(entry_id=entry.entry_id, day=entry.day, labels=entry.labels)
            for entry in chosen
            if entry.labels
        ],
    )


@router.get(
    "/reflections/themes",
    response_model=ReflectionThemes,
    responses={401: {"model": Problem}, 422: {"model": Problem}, 502: {"model": Problem}},
)
async def get_reflection_themes(
    request: Request,
    user: CurrentUser,
    start: dt.date | None = None,
    end: dt.date | None = None,
    time_zone: str | None = None,
) -> ReflectionThemes:
    """Emotions and mistakes in the trader's journal, per week and against their P&L."""
    if start is not None and end is not None and start > end:
        raise InvalidInputError(
            "The range starts after it ends.",
            [ProblemField(location="query/start", message="must not be after end")],
        )
    zone_name = time_zone or request.app.state.settings.time_zone
    zone = resolve_time_zone(zone_name)
    core: CoreClient = request.app.state.core
    entries = await core.list_journal_entries(user.id)
    positions = await core.list_closed_positions(user.id)
    tagged = tag_entries(entries, zone)
    return reflection_themes(tagged, trades_by_currency(positions), start, end, zone_name)
