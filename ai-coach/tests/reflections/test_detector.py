"""The mood_and_reflection_themes detector: fires on a planted theme, silent otherwise."""

from __future__ import annotations

import random
from zoneinfo import ZoneInfo

from ai_coach.analytics import ClosedTrade
from ai_coach.contracts.journal_entry_page import JournalEntry
from ai_coach.insights.findings import discoveries
from ai_coach.insights.service import detect_all
from ai_coach.reflections.detector import theme_candidates
from ai_coach.reflections.themes import tag_entries
from tests.factories import daily_trader, journal_entry, trading_days

UTC = ZoneInfo("UTC")
CALM = "Calm session, followed the process."
REVENGE = "Revenge trade after the first loss, wanted to make it back."


def as_read_from_core(entry: object) -> JournalEntry:
    """The published contracts' entry as ai-coach's generated model reads it."""
    assert hasattr(entry, "model_dump_json")
    return JournalEntry.model_validate_json(entry.model_dump_json())


def planted(seed: int, edge: float, days: int = 40) -> tuple[list[ClosedTrade], list[JournalEntry]]:
    rng = random.Random(seed)
    theme_days = set(rng.sample(range(days), days // 3))
    trades = daily_trader(seed, days, theme_days, edge=edge)
    entries = [
        as_read_from_core(journal_entry(REVENGE if index in theme_days else CALM, day))
        for index, day in enumerate(trading_days(trades))
    ]
    return trades, entries


def test_a_theme_that_goes_with_worse_days_fires_with_its_evidence() -> None:
    trades, entries = planted(1, edge=-250.0)
    found = [
        insight
        for insight in detect_all(trades, "USD", UTC, tag_entries(entries, UTC))
        if insight.kind == "mood_and_reflection_themes"
    ]
    revenge = [i for i in found if i.evidence.metrics["theme"] == "revenge"]
    assert len(revenge) == 1
    [insight] = revenge
    assert "worse" in insight.title
    assert insight.evidence.metrics["days_with"] == "13"
    assert "make it back" in insight.evidence.metrics["phrases"]
    assert insight.cost is not None
    assert insight.cost > 0
    assert insight.suggested_rule == "After a loss, wait 15 minutes before the next entry."


def test_a_theme_that_goes_with_better_days_fires_without_a_cost() -> None:
    trades, entries = planted(2, edge=250.0)
    found = discoveries(theme_candidates(trades, tag_entries(entries, UTC), "USD", UTC))
    [revenge] = [i for i in found if i.evidence.metrics["theme"] == "revenge"]
    assert "better" in revenge.title
    assert revenge.cost is None
    assert revenge.suggested_rule is None


def test_themes_unrelated_to_pnl_stay_silent_at_the_stated_rate() -> None:
    fired = 0
    seeds = 100
    for seed in range(seeds):
        trades, entries = planted(seed, edge=0.0, days=30)
        if discoveries(theme_candidates(trades, tag_entries(entries, UTC), "USD", UTC)):
            fired += 1
    assert fired / seeds <= 0.08


def test_too_few_journaled_days_give_no_test() -> None:
    trades, entries = planted(3, edge=-250.0)
    assert theme_candidates(trades, tag_entries(entries[:8], UTC), "USD", UTC) == []
