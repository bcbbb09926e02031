"""Hand-computed cases for every metric, to the cent."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from ai_coach.analytics import (
    Drawdown,
    ProfitFactor,
    Streaks,
    average_holding_seconds,
    average_loss,
    average_win,
    classify,
    drawdown,
    expectancy,
    expectancy_r,
    group_keys,
    largest_loss,
    largest_win,
    max_drawdown,
    payoff_ratio,
    profit_factor,
    streaks,
    win_rate,
    win_rate_excluding_breakevens,
)
from tests.factories import START, trade

CENT = Decimal("0.01")


def at(hours: int) -> dt.datetime:
    return START + dt.timedelta(hours=hours)


# Wins 120.50 and 80.00 (held 600 s and 1200 s), losses -50.25 and -30.00 (held 1800 s
# and 3600 s), a breakeven 0.00: hand-computed below.
SAMPLE = [
    trade("120.50", 600, at(1)),
    trade("-50.25", 1800, at(2)),
    trade("80.00", 1200, at(3)),
    trade("-30.00", 3600, at(4)),
    trade("0.00", 60, at(5)),
]


class TestClassify:
    def test_positive_net_pnl_beyond_the_band_is_a_win(self) -> None:
        assert classify(Decimal("5.01"), Decimal("5")) == "win"

    def test_net_pnl_on_the_band_edge_is_breakeven(self) -> None:
        assert classify(Decimal("-5.00"), Decimal("5")) == "breakeven"

    def test_negative_net_pnl_beyond_the_band_is_a_loss(self) -> None:
        assert classify(Decimal("-0.01")) == "loss"

    def test_a_negative_band_is_refused(self) -> None:
        with pytest.raises(ValueError, match="band"):
            classify(Decimal(1), Decimal(-1))


class TestWinRate:
    def test_counts_breakevens_in_the_denominator(self) -> None:
        assert win_rate(SAMPLE) == Decimal("0.4")

    def test_excluding_breakevens_counts_wins_over_wins_and_losses(self) -> None:
        assert win_rate_excluding_breakevens(SAMPLE) == Decimal("0.5")

    def test_is_undefined_without_trades(self) -> None:
        assert win_rate([]) is None
        assert win_rate_excluding_breakevens([trade("0")]) is None


class TestProfitFactor:
    def test_is_gross_wins_over_absolute_gross_losses(self) -> None:
        # 200.50 / 80.25 = 2.4984...
        result = profit_factor(SAMPLE)
        assert result.value is not None
        assert result.value.quantize(CENT) == Decimal("2.50")
        assert not result.no_losses

    def test_without_losses_is_flagged_never_a_large_number(self) -> None:
        assert profit_factor([trade("10"), trade("0")]) == ProfitFactor(None, no_losses=True)


class TestAverages:
    def test_average_win_is_the_mean_of_wins(self) -> None:
        assert average_win(SAMPLE) == Decimal("100.25")

    def test_average_loss_is_the_mean_of_losses_as_a_negative_amount(self) -> None:
        assert average_loss(SAMPLE) == Decimal("-40.125")

    def test_payoff_ratio_is_mean_win_over_absolute_mean_loss(self) -> None:
        # 100.25 / 40.125 = 2.4984...
        ratio = payoff_ratio(SAMPLE)
        assert ratio is not None
        assert ratio.quantize(CENT) == Decimal("2.50")

    def test_payoff_ratio_is_undefined_without_losses(self) -> None:
        assert payoff_ratio([trade("10")]) is None

    def test_expectancy_is_the_mean_net_pnl_with_breakevens_included(self) -> None:
        # (120.50 - 50.25 + 80.00 - 30.00 + 0) / 5 = 24.05
        assert expectancy(SAMPLE) == Decimal("24.05")

    def test_expectancy_matches_win_and_loss_decomposition(self) -> None:
        # p * avg win - q * |avg loss| with p = 0.4 and q = 0.4 (breakeven adds 0).
        assert Decimal("0.4") * Decimal("100.25") - Decimal("0.4") * Decimal("40.125") == (
            expectancy(SAMPLE)
        )

    def test_expectancy_is_undefined_without_trades(self) -> None:
        assert expectancy([]) is None


class TestMaxDrawdown:
    def test_is_the_largest_fall_of_cumulative_net_pnl_from_a_peak(self) -> None:
        # Curve 0 → 120.50 → 70.25 → 150.25 → 120.25 → 120.25: worst fall 50.25.
        assert max_drawdown(SAMPLE) == Decimal("50.25")

    def test_follows_closing_order_not_list_order(self) -> None:
        trades = [trade("100", closed_at=at(3)), trade("-40", closed_at=at(1))]
        # Closing order: -40 then +100; the fall from the start is 40.
        assert max_drawdown(trades) == Decimal("40")

    def test_counts_an_opening_loss_from_zero(self) -> None:
        trades = [trade("-10.10", closed_at=at(1)), trade("-5.05", closed_at=at(2))]
        assert max_drawdown(trades) == Decimal("15.15")

    def test_is_zero_when_the_curve_never_falls(self) -> None:
        assert max_drawdown([trade("1"), trade("2")]) == 0


class TestHoldingTimes:
    def test_averages_winners_and_losers_separately(self) -> None:
        times = average_holding_seconds(SAMPLE)
        assert times.winners == Decimal(900)
        assert times.losers == Decimal(2700)

    def test_is_undefined_for_a_side_without_trades(self) -> None:
        assert average_holding_seconds([trade("1")]).losers is None


class TestLargestAndR:
    def test_largest_win_and_loss_are_the_extremes_of_each_side(self) -> None:
        assert largest_win(SAMPLE) == Decimal("120.50")
        assert largest_loss(SAMPLE) == Decimal("-50.25")

    def test_largest_loss_is_undefined_without_losses(self) -> None:
        assert largest_loss([trade("3")]) is None

    def test_expectancy_in_r_averages_only_trades_with_an_initial_stop(self) -> None:
        with_r = [
            replace(trade("20"), r_multiple=Decimal("2")),
            replace(trade("-10"), r_multiple=Decimal("-1")),
        ]
        assert expectancy_r([*with_r, trade("500")]) == Decimal("0.5")
        assert expectancy_r([trade("500")]) is None


class TestDrawdownDuration:
    def test_runs_from_the_peak_to_the_close_that_regains_it(self) -> None:
        result = drawdown(SAMPLE)
        # Peak 120.50 at hour 1, trough at hour 2, regained (150.25) at hour 3.
        assert result == Drawdown(Decimal("50.25"), 2 * 3600, recovered=True)

    def test_runs_to_the_last_close_when_never_regained(self) -> None:
        trades = [trade("10", 600, at(1)), trade("-30", 600, at(2)), trade("5", 600, at(6))]
        assert drawdown(trades) == Drawdown(Decimal("30"), 5 * 3600, recovered=False)

    def test_an_opening_loss_runs_from_the_first_open(self) -> None:
        trades = [trade("-10", 600, at(1)), trade("20", 600, at(3))]
        assert drawdown(trades) == Drawdown(Decimal("10"), 2 * 3600 + 600, recovered=True)

    def test_in_percent_is_the_fall_over_equity_at_the_peak(self) -> None:
        # Equity 1000 → 1120.50 (peak) → 1070.25: 50.25 / 1120.50.
        percent = drawdown(SAMPLE, Decimal(1000)).percent
        assert percent is not None
        assert percent.quantize(Decimal("0.000001")) == Decimal("0.044846")


class TestStreaks:
    def test_counts_the_longest_runs_and_breakevens_end_them(self) -> None:
        outcomes = ["1", "1", "0", "1", "-1", "-1", "-1", "1", "1", "1", "1"]
        trades = [trade(pnl, closed_at=at(i)) for i, pnl in enumerate(outcomes)]
        assert streaks(trades) == Streaks(wins=4, losses=3)


class TestLocalTimes:
    def test_open_and_close_are_wall_clock_times_of_the_zone_asked(self) -> None:
        # 03:30 UTC on a Tuesday is 22:30 on Monday in New York (EST, UTC-5).
        late = trade("10", 3600, dt.datetime(2026, 1, 6, 4, 30, tzinfo=dt.UTC))
        new_york, tokyo = ZoneInfo("America/New_York"), ZoneInfo("Asia/Tokyo")
        assert late.opened_in(new_york) == dt.datetime(2026, 1, 5, 22, 30, tzinfo=new_york)
        assert late.closed_in(new_york) == dt.datetime(2026, 1, 5, 23, 30, tzinfo=new_york)
        # Another zone later is converted anew, and the first one again too.
        assert late.closed_in(tokyo).hour == 13
        assert late.opened_in(new_york).hour == 22
        assert late.opened_in(new_york).tzinfo is new_york

    def test_group_keys_follow_the_traders_zone(self) -> None:
        late = trade("10", 3600, dt.datetime(2026, 1, 6, 4, 30, tzinfo=dt.UTC))
        new_york = ZoneInfo("America/New_York")
        assert group_keys(late, "day", new_york) == ["2026-01-05"]
        assert group_keys(late, "weekday", new_york) == ["monday"]
        assert group_keys(late, "hour", new_york) == ["22"]
        assert group_keys(late, "day") == ["2026-01-06"]
        assert group_keys(late, "weekday") == ["tuesday"]
        assert group_keys(late, "hour") == ["03"]
