"""Every behavioural detector on synthetic traders: planted behaviour fires, clean stays quiet."""

from __future__ import annotations

import pytest

from ai_coach.insights.findings import benjamini_hochberg, discoveries
from ai_coach.insights.service import candidates
from tests.synthetic import synthetic_trader

# Planted behaviour -> the insight kind that must report it.
EXPECTED = {
    "revenge": "revenge_trading",
    "tilt": "tilt",
    "size_creep": "size_creep",
    "hour_leak": "time_of_day_leak",
    "bad_symbol": "negative_expectancy_symbol",
    "overtrading": "overtrading",
    "cutting_winners": "cutting_winners",
}


def kinds(seed: int, plant: str | None = None) -> set[str]:
    return {i.kind for i in discoveries(candidates(synthetic_trader(seed, plant=plant), "USD"))}


@pytest.mark.parametrize(("plant", "kind"), sorted(EXPECTED.items()))
def test_a_planted_behaviour_is_found_for_most_traders(plant: str, kind: str) -> None:
    found = sum(kind in kinds(seed, plant) for seed in range(10))
    assert found >= 8, (plant, found)


def test_clean_traders_get_a_behavioural_insight_at_about_the_false_discovery_rate() -> None:
    # BH at q = 0.05 over every test of a trader: with no behaviour at all, at most about
    # 5% of traders get any insight, however many buckets were tested.
    seeds = range(100, 180)
    noisy = sum(bool(kinds(seed)) for seed in seeds)
    assert noisy / len(seeds) <= 0.1, noisy


def test_a_planted_hour_leak_names_the_hour_its_cost_and_a_rule() -> None:
    found = discoveries(candidates(synthetic_trader(1, plant="hour_leak"), "USD"))
    [leak] = [insight for insight in found if insight.kind == "time_of_day_leak"]
    assert leak.evidence.metrics["bucket"] == "15:00-15:59"
    assert leak.cost is not None
    assert leak.cost > 0
    assert leak.suggested_rule == "No new entries 15:00-15:59."
    assert "BH q=" in leak.confidence
    assert leak.evidence.position_ids


class TestBenjaminiHochberg:
    def test_adjusts_hand_computed_p_values(self) -> None:
        # m = 4: 0.01*4/1 = 0.04, 0.02*4/2 = 0.04, 0.03*4/3 = 0.04, 0.5*4/4 = 0.5.
        assert benjamini_hochberg([0.03, 0.5, 0.01, 0.02]) == pytest.approx([0.04, 0.5, 0.04, 0.04])

    def test_keeps_adjusted_values_monotone(self) -> None:
        # 0.04*2/1 = 0.08 is capped by the larger p's 0.045*2/2 = 0.045.
        assert benjamini_hochberg([0.04, 0.045]) == pytest.approx([0.045, 0.045])
