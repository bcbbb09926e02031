"""Journal themes per week and how trading went on days with a theme and without it."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from uuid import UUID
from zoneinfo import ZoneInfo

from ai_coach.analytics import ClosedTrade, trading_day
from ai_coach.contracts.journal_entry_page import JournalEntry
from ai_coach.reflections.lexicon import LABELS_BY_NAME, labels_of


@dataclass(frozen=True)
class TaggedEntry:
    """A journal entry's day and the labels its text expresses, with the phrases."""

    entry_id: UUID
    day: dt.date
    labels: dict[str, list[str]]


@dataclass
class LabelCount:
    """How often a label appeared in a period: entries, days and the phrases seen."""

    entries: int = 0
    days: set[dt.date] = field(default_factory=set)
    phrases: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class DaySplit:
    """Trading days with a label against trading days without it."""

    label: str
    days_with: list[dt.date]
    days_without: list[dt.date]
    pnl_with: list[Decimal]
    pnl_without: list[Decimal]
    trades_with: list[ClosedTrade]
    trades_without: list[ClosedTrade]


def entry_day(entry: JournalEntry, time_zone: ZoneInfo) -> dt.date:
    """The trading day an entry is about: its `day`, else the day it was written."""
    return entry.day if entry.day is not None else trading_day(entry.created_at, time_zone)


def tag_entries(entries: Sequence[JournalEntry], time_zone: ZoneInfo) -> list[TaggedEntry]:
    """Each entry with its labels (text and tags both read), oldest day first."""
    tagged = []
    for entry in entries:
        text = " ".join([entry.body, *(entry.tags or ())])
        tagged.append(TaggedEntry(entry.id, entry_day(entry, time_zone), labels_of(text)))
    tagged.sort(key=lambda item: (item.day, str(item.entry_id)))
    return tagged


def week_of(day: dt.date) -> dt.date:
    """The Monday of the ISO week of a day."""
    return day - dt.timedelta(days=day.weekday())


def count_labels(tagged: Sequence[TaggedEntry]) -> dict[str, LabelCount]:
    """Per label: entries, distinct days and phrase counts, labels in lexicon order."""
    counts: dict[str, LabelCount] = {}
    for entry in tagged:
        for label, phrases in entry.labels.items():
            count = counts.setdefault(label, LabelCount())
            count.entries += 1
            count.days.add(entry.day)
            for phrase in phrases:
                count.phrases[phrase] = count.phrases.get(phrase, 0) + 1
    order = list(LABELS_BY_NAME)
    return dict(sorted(counts.items(), key=lambda item: order.index(item[0])))


def weekly_labels(tagged: Sequence[TaggedEntry]) -> dict[dt.date, dict[str, LabelCount]]:
    """The label counts of each ISO week (keyed by its Monday), weeks in order."""
    by_week: dict[dt.date, list[TaggedEntry]] = defaultdict(list)
    for entry in tagged:
        by_week[week_of(entry.day)].append(entry)
    return {week: count_labels(by_week[week]) for week in sorted(by_week)}


def split_days(
    label: str,
    tagged: Sequence[TaggedEntry],
    trades: Sequence[ClosedTrade],
    time_zone: ZoneInfo,
) -> DaySplit:
    """The trading days (days with closes) with the label in the journal and without it.

    Only days the trader journaled count as "without", so a quiet journal is not read
    as a day without the feeling.
    """
    journaled = {entry.day for entry in tagged}
    with_label = {entry.day for entry in tagged if label in entry.labels}
    by_day: dict[dt.date, list[ClosedTrade]] = defaultdict(list)
    for trade in trades:
        by_day[trade.closed_in(time_zone).date()].append(trade)
    days_with = sorted(day for day in by_day if day in with_label)
    days_without = sorted(day for day in by_day if day in journaled and day not in with_label)

    def pnl(days: list[dt.date]) -> list[Decimal]:
        return [sum((t.net_pnl for t in by_day[day]), Decimal(0)) for day in days]

    return DaySplit(
        label,
        days_with,
        days_without,
        pnl(days_with),
        pnl(days_without),
        [trade for day in days_with for trade in by_day[day]],
        [trade for day in days_without for trade in by_day[day]],
    )
