"""The performance-summary detector on synthetic traders."""

from __future__ import annotations

from decimal import Decimal

from ai_coach.insights.performance import (
    bootstrap_interval,
    detect_performance_summary,
    normal_interval,
)
from tests.factories import random_trader, trade

SEEDS = range(300)


class TestBootstrapInterval:
    def test_is_reproducible_for_the_same_data(self) -> None:
        pnls = [Decimal("10.10"), Decimal("-3.30"), Decimal("7.77"), Decimal("0.01")]
        assert bootstrap_interval(pnls) == bootstrap_interval(pnls)

    def test_of_identical_trades_is_that_trade_exactly(self) -> None:
        assert bootstrap_interval([Decimal("12.34")] * 25) == (Decimal("12.34"), Decimal("12.34"))

    def test_brackets_the_mean(self) -> None:
        pnls = [Decimal(value) for value in range(-20, 41)]
        low, high = bootstrap_interval(pnls)
        assert low < Decimal(10) < high


class TestDetectPerformanceSummary:
    def test_fires_for_a_trader_with_a_real_edge(self) -> None:
        for seed in range(20):
            insight = detect_performance_summary(random_trader(seed, 60, mean_pnl=80.0), "USD")
            assert insight is not None, seed
            assert insight.title == "Your trading has a positive expectancy"

    def test_fires_for_a_trader_who_loses_every_day(self) -> None:
        insight = detect_performance_summary(random_trader(1, 60, mean_pnl=-80.0), "EUR")
        assert insight is not None
        assert insight.title == "Your trading is losing money per trade"
        assert insight.currency == "EUR"

    def test_a_clean_trader_fires_at_about_the_stated_rate(self) -> None:
        fired = sum(
            detect_performance_summary(random_trader(seed, 60), "USD") is not None for seed in SEEDS
        )
        # A 90% interval excludes a true zero about 10% of the time.
        assert 0.04 < fired / len(SEEDS) < 0.17

    def test_stays_silent_below_twenty_trades(self) -> None:
        assert detect_performance_summary([trade("100")] * 19, "USD") is None

    def test_evidence_holds_expectancy_and_its_interval(self) -> None:
        trades = [trade("10.00")] * 10 + [trade("30.00")] * 10
        insight = detect_performance_summary(trades, "USD")
        assert insight is not None
        metrics = insight.evidence.metrics
        assert metrics["expectancy"] == "20.00"
        assert (
            Decimal(metrics["expectancy_ci90_low"]) < 20 < Decimal(metrics["expectancy_ci90_high"])
        )
        assert metrics["profit_factor"] == "no losses"
        assert insight.evidence.sample_size == 20
        assert insight.confidence.startswith("90% CI ")


def test_large_samples_use_the_normal_interval_of_the_mean() -> None:
    # mean 2, sample sd 1 (values 1, 2, 3), n = 3: 2 ± 1.6449 × 1/√3.
    low, high = normal_interval([Decimal(1), Decimal(2), Decimal(3)])
    assert low.quantize(Decimal("0.0001")) == Decimal("1.0503")
    assert high.quantize(Decimal("0.0001")) == Decimal("2.9497")
