"""Every behavioural detector on synthetic traders: planted behaviour fires, clean stays quiet."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import numpy as np
import pytest
from scipy.stats import mannwhitneyu

from ai_coach.insights.excursion import stop_saving
from ai_coach.insights.findings import benjamini_hochberg, discoveries, each_against_the_rest
from ai_coach.insights.service import candidates
from tests.factories import trade
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
    "losers_run": "letting_losers_run",
    "weekday_leak": "weekday_leak",
    "hour_edge": "time_of_day_edge",
    "bad_setup": "negative_expectancy_tag",
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


def test_a_planted_hour_edge_names_the_hour_and_a_rule_without_a_cost() -> None:
    found = discoveries(candidates(synthetic_trader(2, plant="hour_edge"), "USD"))
    [edge] = [insight for insight in found if insight.kind == "time_of_day_edge"]
    assert edge.evidence.metrics["bucket"] == "16:00-16:59"
    assert edge.cost is None
    assert edge.suggested_rule == (
        "Put your full size only on entries 16:00-16:59; reduce it elsewhere."
    )


def test_letting_losers_run_reports_what_a_hard_stop_would_have_changed() -> None:
    trades = synthetic_trader(3, plant="losers_run")
    found = discoveries(candidates(trades, "USD"))
    [run] = [insight for insight in found if insight.kind == "letting_losers_run"]
    stop = Decimal(run.evidence.metrics["mean_mfe_winners"])
    assert (
        run.suggested_rule
        == f"Place a hard stop no further than {stop} USD (your winners' typical MFE) from entry."
    )
    saved, stopped = stop_saving(trades, stop)
    assert run.evidence.metrics["trades_reaching_stop"] == str(len(stopped))
    assert run.evidence.metrics["stop_would_change_pnl_by"] == f"{saved:.2f}"
    assert run.cost == (saved.quantize(Decimal("0.01")) if saved > 0 else None)
    assert run.evidence.position_ids


class TestStopSaving:
    def test_trades_that_reached_the_stop_are_closed_there(self) -> None:
        base = trade("0")
        deep_loser = dataclasses.replace(base, gross_pnl=Decimal(-150), mae=Decimal(-160))
        recovered = dataclasses.replace(base, gross_pnl=Decimal(-20), mae=Decimal(-120))
        dipped_winner = dataclasses.replace(base, gross_pnl=Decimal(80), mae=Decimal(-100))
        shallow = dataclasses.replace(base, gross_pnl=Decimal(-90), mae=Decimal(-99))
        unknown = dataclasses.replace(base, gross_pnl=Decimal(-500), mae=None)
        saved, stopped = stop_saving(
            [deep_loser, recovered, dipped_winner, shallow, unknown], Decimal(100)
        )
        # -100 instead of -150 (+50), of -20 (-80), of +80 (-180).
        assert saved == Decimal(-210)
        assert stopped == [deep_loser, recovered, dipped_winner]


class TestEachAgainstTheRest:
    @pytest.mark.parametrize("seed", range(5))
    def test_gives_scipys_two_sided_p_value_of_each_sample_against_the_others(
        self, seed: int
    ) -> None:
        rng = np.random.default_rng(seed)
        # Rounded to whole numbers so there are many ties, as P&L in cents has.
        samples = [
            np.round(rng.normal(shift, 20, size))
            for shift, size in ((0, 9), (5, 40), (-10, 200), (0, 15), (3, 600))
        ]
        ours = each_against_the_rest(samples)
        for index, sample in enumerate(samples):
            rest = np.concatenate([s for other, s in enumerate(samples) if other != index])
            expected = mannwhitneyu(sample, rest, alternative="two-sided").pvalue
            assert ours[index] == pytest.approx(float(expected), rel=1e-9, abs=1e-300)

    def test_samples_of_one_value_everywhere_differ_in_nothing(self) -> None:
        assert each_against_the_rest([np.full(20, 5.0), np.full(30, 5.0)]) == [1.0, 1.0]

    @pytest.mark.parametrize(
        "samples",
        [[np.array([12.5])], [np.array([1.0, 2.0])], [np.array([3.0]), np.array([])]],
        ids=["one trade", "one bucket", "an empty bucket"],
    )
    def test_a_bucket_with_nothing_to_compare_with_differs_in_nothing(
        self, samples: list[np.ndarray]
    ) -> None:
        assert each_against_the_rest(samples) == [1.0] * len(samples)
