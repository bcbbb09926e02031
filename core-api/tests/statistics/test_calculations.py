from __future__ import annotations

import datetime as dt
from decimal import Decimal

from core_api.positions.matching import Outcome
from core_api.statistics.calculations import ClosedTrade, compute, max_drawdown, r_multiple

MONDAY = dt.date(2026, 3, 2)
TUESDAY = dt.date(2026, 3, 3)


def trade(net: str, day: dt.date = MONDAY, fees: str = "1") -> ClosedTrade:
    value = Decimal(net)
    kind: Outcome = "win" if value > 0 else "loss" if value < 0 else "breakeven"
    return ClosedTrade(
        day=day, net=value, gross=value + Decimal(fees), fees=Decimal(fees), outcome=kind
    )


class TestCompute:
    def test_hand_computed_week(self) -> None:
        trades = [
            trade("120"),
            trade("-40"),
            trade("0"),
            trade("30", TUESDAY),
            trade("-90", TUESDAY),
        ]
        stats = compute(trades, "USD")
        assert (stats.trades, stats.wins, stats.losses, stats.breakevens) == (5, 2, 2, 1)
        assert stats.net_pnl == Decimal(20)
        assert stats.gross_pnl == Decimal(25)
        assert stats.fees == Decimal(5)
        assert stats.win_rate == Decimal("0.4000")
        assert stats.win_rate_excluding_breakevens == Decimal("0.5000")
        assert stats.profit_factor == Decimal("1.1538")
        assert not stats.no_losses
        assert stats.average_win == Decimal("75.0000")
        assert stats.average_loss == Decimal("-65.0000")
        assert stats.payoff_ratio == Decimal("1.1538")
        assert stats.expectancy == Decimal("4.0000")
        # Day ends at 80 then 20: a fall of 60 (intraday swings are not the daily series).
        assert stats.max_drawdown == Decimal(60)
        assert [(d.day, d.net_pnl, d.trades) for d in stats.calendar] == [
            (MONDAY, Decimal(80), 3),
            (TUESDAY, Decimal(-60), 2),
        ]
        assert [(p.day, p.cumulative_net_pnl) for p in stats.equity_curve] == [
            (MONDAY, Decimal(80)),
            (TUESDAY, Decimal(20)),
        ]

    def test_no_losses_is_said_rather_than_a_large_number(self) -> None:
        stats = compute([trade("10"), trade("5")], "USD")
        assert stats.profit_factor is None
        assert stats.no_losses
        assert stats.payoff_ratio is None

    def test_no_trades_leave_every_ratio_undefined(self) -> None:
        stats = compute([], "USD")
        assert stats.trades == 0
        assert stats.win_rate is None
        assert stats.expectancy is None
        assert not stats.no_losses
        assert stats.max_drawdown == 0

    def test_drawdown_counts_from_zero_before_the_first_trade(self) -> None:
        assert max_drawdown([Decimal(-30), Decimal(10)]) == Decimal(30)
        assert max_drawdown([Decimal(10), Decimal(20)]) == Decimal(0)

    def test_expectancy_in_r_averages_the_positions_with_an_r(self) -> None:
        with_r = [
            ClosedTrade(MONDAY, Decimal(200), Decimal(201), Decimal(1), "win", Decimal("2")),
            ClosedTrade(MONDAY, Decimal(-100), Decimal(-99), Decimal(1), "loss", Decimal("-1")),
            ClosedTrade(TUESDAY, Decimal(50), Decimal(51), Decimal(1), "win", Decimal("0.5")),
        ]
        stats = compute([*with_r, trade("80", TUESDAY)], "USD")
        # (2 − 1 + 0.5) / 3; the position without a stop is left out.
        assert (stats.expectancy_r, stats.trades_with_r) == (Decimal("0.5000"), 3)
        assert compute([trade("80")], "USD").expectancy_r is None

    def test_r_is_net_over_the_initial_risk_to_four_places(self) -> None:
        # 298 / (|50 − 48| × 100 × 1); a short risks the distance above its entry.
        assert r_multiple(Decimal(298), Decimal(50), Decimal(48), Decimal(100), Decimal(1)) == (
            Decimal("1.4900")
        )
        assert r_multiple(
            Decimal(-150), Decimal(4000), Decimal("4003"), Decimal(2), Decimal(50)
        ) == Decimal("-0.5000")
        assert r_multiple(Decimal(10), Decimal(50), Decimal(50), Decimal(1), Decimal(1)) is None
