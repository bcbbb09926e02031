"""Performance summary: expectancy per trade, when its 90% interval excludes zero."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import numpy as np

from ai_coach.analytics import (
    ClosedTrade,
    expectancy,
    max_drawdown,
    profit_factor,
    tally,
    win_rate,
)
from ai_coach.contracts.insight_create import Evidence, InsightCreate
from ai_coach.insights.evidence import figure, money, period

KIND = "performance_summary"
MIN_TRADES = 20
RESAMPLES = 2_000
INTERVAL = 0.90
SEED = 20_240_601
# P&L is resampled as integers of this many decimal places, so the sums stay exact.
PLACES = 8
# Above this many trades the normal interval of the mean is used: the bootstrap agrees
# with it there and would cost resamples x trades draws.
BOOTSTRAP_LIMIT = 5_000
NORMAL_Z = Decimal("1.6448536269514722")  # two-sided 90%


def bootstrap_interval(
    pnls: Sequence[Decimal], resamples: int = RESAMPLES, seed: int = SEED
) -> tuple[Decimal, Decimal]:
    """The percentile bootstrap 90% interval of the mean, exact to 8 decimal places.

    The same data and seed always give the same interval. Raises ValueError without data.
    """
    if not pnls:
        raise ValueError("the bootstrap needs at least one trade")
    scale = Decimal(1).scaleb(PLACES)
    units = np.array([int((pnl * scale).to_integral_value()) for pnl in pnls], dtype=np.int64)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(units), size=(resamples, len(units)))
    sums = units[draws].sum(axis=1)
    tail = (1 - INTERVAL) / 2
    low = int(np.quantile(sums, tail, method="lower"))
    high = int(np.quantile(sums, 1 - tail, method="higher"))
    return Decimal(low) / scale / len(units), Decimal(high) / scale / len(units)


def normal_interval(pnls: Sequence[Decimal]) -> tuple[Decimal, Decimal]:
    """The normal 90% interval of the mean (sample deviation); needs two or more values."""
    mean = sum(pnls, Decimal(0)) / len(pnls)
    variance = sum(((pnl - mean) ** 2 for pnl in pnls), Decimal(0)) / (len(pnls) - 1)
    half = NORMAL_Z * (variance / len(pnls)).sqrt()
    return mean - half, mean + half


def detect_performance_summary(
    trades: Sequence[ClosedTrade], currency: str
) -> InsightCreate | None:
    """An insight when 20+ trades show an edge (or a leak) whose 90% interval excludes 0."""
    if len(trades) < MIN_TRADES:
        return None
    counts = tally(trades)
    mean = expectancy(counts)
    assert mean is not None  # at least MIN_TRADES trades
    pnls = [trade.net_pnl for trade in trades]
    low, high = bootstrap_interval(pnls) if len(pnls) <= BOOTSTRAP_LIMIT else normal_interval(pnls)
    if low <= 0 <= high:
        return None
    positive = low > 0
    factor = profit_factor(counts)
    rate = win_rate(counts)
    assert rate is not None
    metrics = {
        "trades": str(len(trades)),
        "expectancy": figure(mean),
        "expectancy_ci90_low": figure(low),
        "expectancy_ci90_high": figure(high),
        "win_rate": figure(rate, 4),
        "profit_factor": "no losses" if factor.no_losses else figure(factor.value or Decimal(0)),
        "max_drawdown": figure(max_drawdown(trades)),
    }
    start, end = period(trades)
    shown_low, shown_high = money(low), money(high)
    if positive:
        title = "Your trading has a positive expectancy"
        verdict = "Keep sizing and selection as they are while the interval stays above zero."
    else:
        title = "Your trading is losing money per trade"
        verdict = "Reduce size until you find which setups lose; the interval is below zero."
    return InsightCreate(
        kind=KIND,
        title=title,
        body=(
            f"Over {len(trades)} closed trades you made {money(mean)} {currency} per trade on "
            f"average (90% interval {shown_low} to {shown_high}). {verdict}"
        ),
        evidence=Evidence(metrics=metrics, sample_size=len(trades)),
        confidence=f"90% CI {shown_low}..{shown_high}",
        currency=currency,
        period_start=start,
        period_end=end,
    )
