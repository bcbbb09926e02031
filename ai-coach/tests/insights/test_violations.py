"""The cost-of-rule-violations detector: planted costly violations fire, harmless ones do not."""

from __future__ import annotations

import dataclasses
import random
from decimal import Decimal

from ai_coach.analytics import ClosedTrade, classify
from ai_coach.contracts.violation_page import Violation
from ai_coach.insights.findings import discoveries
from ai_coach.insights.violations import violation_candidates
from tests.factories import random_trader, violations_of


def as_read_from_core(violations: list[object]) -> list[Violation]:
    """The published contracts' violations as ai-coach's generated model reads them."""
    return [
        Violation.model_validate_json(item.model_dump_json())  # type: ignore[attr-defined]
        for item in violations
    ]


def worse(trade: ClosedTrade, by: str) -> ClosedTrade:
    pnl = trade.net_pnl - Decimal(by)
    return dataclasses.replace(trade, net_pnl=pnl, outcome=classify(pnl))


def trader(seed: int, cost_of_breaking: str) -> tuple[list[ClosedTrade], list[Violation]]:
    """120 trades; a random quarter break a cooldown rule and lose `cost_of_breaking` more."""
    rng = random.Random(seed)
    trades = random_trader(seed, trades=120)
    chosen = set(rng.sample(range(len(trades)), 30))
    trades = [worse(t, cost_of_breaking) if i in chosen else t for i, t in enumerate(trades)]
    broken = [t for i, t in enumerate(trades) if i in chosen]
    return trades, as_read_from_core(list(violations_of(broken)))


class TestViolationCandidates:
    def test_costly_violations_fire_for_most_traders(self) -> None:
        fired = sum(
            bool(discoveries(violation_candidates(*trader(seed, "90"), "USD")))
            for seed in range(10)
        )
        assert fired >= 8, fired

    def test_harmless_violations_stay_silent_at_about_the_false_discovery_rate(self) -> None:
        # One test per rule at q = 0.05: about 5% of traders, never many more.
        seeds = range(1000, 1300)
        fired = sum(
            bool(discoveries(violation_candidates(*trader(seed, "0"), "USD"))) for seed in seeds
        )
        assert fired / len(seeds) <= 0.08, fired

    def test_the_insight_names_the_rule_what_keeping_it_saves_and_the_positions(self) -> None:
        trades, violations = trader(1, "150")
        [insight] = discoveries(violation_candidates(trades, violations, "USD"))
        broken = {v.position_id for v in violations}
        saved = -sum((t.net_pnl for t in trades if t.id in broken), Decimal(0))
        assert insight.kind == "rule_violation_cost_cooldown_after_loss"
        assert insight.cost == saved.quantize(Decimal("0.01"))
        assert insight.title == f"Breaking your cooldown after a loss cost you {insight.cost} USD"
        assert set(insight.evidence.position_ids or []) == broken
        assert insight.evidence.sample_size == 120
        assert insight.evidence.metrics["positions_breaking"] == "30"
        assert insight.evidence.metrics["violations"] == "30"
        assert insight.evidence.metrics["rule_id"] == str(violations[0].rule_id)
        assert "BH q=" in insight.confidence
        assert insight.suggested_rule == (
            "After a loss, wait out the plan's cooldown before the next entry."
        )

    def test_fewer_than_ten_broken_trades_give_no_test(self) -> None:
        trades = random_trader(4, trades=60)
        violations = as_read_from_core(list(violations_of(trades[:9])))
        assert violation_candidates(trades, violations, "USD") == []

    def test_violations_in_another_currency_or_of_unknown_positions_are_ignored(self) -> None:
        trades = random_trader(5, trades=60)
        in_euros = as_read_from_core(list(violations_of(trades[:20], currency="EUR")))
        elsewhere = as_read_from_core(list(violations_of(random_trader(6, trades=20))))
        assert violation_candidates(trades, [*in_euros, *elsewhere], "USD") == []

    def test_each_rule_is_tested_on_its_own(self) -> None:
        trades, cooldown = trader(2, "150")
        window = as_read_from_core(list(violations_of(trades[:15], rule_kind="trading_window")))
        kinds = {c.kind for c in violation_candidates(trades, [*cooldown, *window], "USD")}
        assert kinds == {
            "rule_violation_cost_cooldown_after_loss",
            "rule_violation_cost_trading_window",
        }
