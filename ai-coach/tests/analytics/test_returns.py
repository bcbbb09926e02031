"""Sharpe, Sortino and drawdown on daily returns, checked against quantstats."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pandas as pd
import pytest
import quantstats as qs

from ai_coach.analytics import ClosedTrade, daily_pnl, daily_returns, drawdown, sharpe, sortino
from tests.factories import START, trade

EQUITY = Decimal(10_000)


def one_trade_per_weekday(seed: int, days: int = 120) -> list[ClosedTrade]:
    rng = random.Random(seed)
    trades: list[ClosedTrade] = []
    day = START
    while len(trades) < days:
        if day.weekday() < 5:
            trades.append(trade(str(round(rng.gauss(5, 80), 2)), 600, day))
        day += dt.timedelta(days=1)
    return trades


class TestDailySeries:
    def test_quiet_weekdays_count_as_zero_and_weekends_are_skipped(self) -> None:
        friday = dt.datetime(2026, 1, 9, 15, tzinfo=dt.UTC)
        trades = [trade("10", closed_at=friday), trade("-4", closed_at=friday + dt.timedelta(4))]
        series = daily_pnl(trades)
        assert list(series.values()) == [Decimal(10), Decimal(0), Decimal(-4)]  # Fri, Mon, Tue
        assert min(series).weekday() == 4

    def test_returns_are_pnl_over_the_equity_of_the_day_before(self) -> None:
        pnl = {dt.date(2026, 1, 5): Decimal(100), dt.date(2026, 1, 6): Decimal(-101)}
        assert daily_returns(pnl, Decimal(1000)) == [Decimal("0.1"), Decimal(-101) / 1100]

    def test_a_starting_equity_that_is_not_positive_is_refused(self) -> None:
        with pytest.raises(ValueError, match="positive"):
            daily_returns({}, Decimal(0))


class TestHandComputed:
    def test_sharpe_uses_the_sample_deviation_and_252_days(self) -> None:
        # mean 0.01, sample sd 0.01 → 1 × √252.
        value = sharpe([Decimal("0.02"), Decimal("0.00"), Decimal("0.01")])
        assert value is not None
        assert value.quantize(Decimal("0.0001")) == Decimal("15.8745")

    def test_sortino_divides_by_the_downside_deviation_over_all_days(self) -> None:
        # mean 0.0025; downside √(0.01² / 4) = 0.005 → 0.5 × √252.
        values = [Decimal("0.02"), Decimal("-0.01"), Decimal("0.00"), Decimal("0.00")]
        result = sortino(values)
        assert result is not None
        assert result.quantize(Decimal("0.0001")) == Decimal("7.9373")

    def test_both_are_undefined_without_variation_or_without_a_losing_day(self) -> None:
        assert sharpe([Decimal("0.01")] * 3) is None
        assert sortino([Decimal("0.01")] * 3) is None


@pytest.mark.parametrize("seed", range(5))
class TestAgainstQuantstats:
    def series(self, seed: int) -> tuple[list[Decimal], pd.Series]:
        trades = one_trade_per_weekday(seed)
        returns = daily_returns(daily_pnl(trades), EQUITY)
        index = pd.DatetimeIndex([pd.Timestamp(day) for day in daily_pnl(trades)])
        return returns, pd.Series([float(value) for value in returns], index=index)

    def test_sharpe_matches(self, seed: int) -> None:
        returns, series = self.series(seed)
        ours = sharpe(returns)
        assert ours is not None
        assert float(ours) == pytest.approx(qs.stats.sharpe(series), rel=1e-9)

    def test_sortino_matches(self, seed: int) -> None:
        returns, series = self.series(seed)
        ours = sortino(returns)
        assert ours is not None
        assert float(ours) == pytest.approx(qs.stats.sortino(series), rel=1e-9)

    def test_drawdown_in_percent_matches_on_the_compounded_curve(self, seed: int) -> None:
        # One trade a day, so the per-trade curve is the daily curve; quantstats adds the
        # starting equity as a baseline, as ours starts at 0 P&L.
        _, series = self.series(seed)
        ours = drawdown(one_trade_per_weekday(seed), EQUITY).percent
        assert ours is not None
        assert -float(ours) == pytest.approx(qs.stats.max_drawdown(series), rel=1e-9)
