"""The disposition-effect detector on synthetic traders."""

from __future__ import annotations

from decimal import Decimal

from ai_coach.insights.disposition import detect_disposition_effect
from tests.factories import random_trader, trade

SEEDS = range(300)


class TestDetectDispositionEffect:
    def test_fires_when_losers_are_held_much_longer(self) -> None:
        for seed in range(20):
            trades = random_trader(seed, trades=40, loser_hold_factor=4.0)
            assert detect_disposition_effect(trades, "USD") is not None, seed

    def test_a_clean_trader_fires_at_about_the_significance_level(self) -> None:
        fired = sum(
            detect_disposition_effect(random_trader(seed, trades=40), "USD") is not None
            for seed in SEEDS
        )
        # p < 0.05 on a trader without the behaviour: about 15 of 300, never many more.
        assert fired / len(SEEDS) < 0.09

    def test_stays_silent_with_fewer_than_ten_losers(self) -> None:
        winners = [trade("50", 100) for _ in range(30)]
        losers = [trade("-50", 100_000) for _ in range(9)]
        assert detect_disposition_effect(winners + losers, "USD") is None

    def test_evidence_holds_medians_sample_sizes_p_value_and_the_costly_losers(self) -> None:
        winners = [trade("50", 600 + i) for i in range(10)]
        quick_losers = [trade("-10", 300) for _ in range(2)]
        slow_losers = [trade("-40.50", 6_000 + i) for i in range(10)]
        insight = detect_disposition_effect(winners + quick_losers + slow_losers, "USD")
        assert insight is not None
        metrics = insight.evidence.metrics
        assert metrics["median_holding_seconds_winners"] == "604.5"
        assert metrics["median_holding_seconds_losers"] == "6003.5"
        assert (metrics["winners"], metrics["losers"]) == ("10", "12")
        assert float(metrics["p_value"]) < 0.05
        assert insight.evidence.sample_size == 22
        assert set(insight.evidence.position_ids or []) == {t.id for t in slow_losers}
        # Only the losers held beyond 604.5 s count: 10 × 40.50.
        assert insight.cost == Decimal("405.00")
        assert insight.currency == "USD"
        assert insight.suggested_rule is not None
        assert "10m 04s" in insight.suggested_rule
