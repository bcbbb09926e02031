"""Statistical candidates of every detector, and the false-discovery control across them.

Each detector returns one `Candidate` per test it ran on a large enough sample, whatever
its p-value. The whole family of a trader's tests (every detector, every hour, symbol,
tag, ...) is then filtered with the Benjamini-Hochberg procedure at q = 0.05, so adding
detectors or buckets does not add false alarms; only the survivors become insights.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtr
from scipy.stats import mannwhitneyu, rankdata

from ai_coach.analytics import ClosedTrade
from ai_coach.contracts.insight_create import InsightCreate
from ai_coach.insights.evidence import money

FALSE_DISCOVERY_RATE = 0.05


@dataclass(frozen=True)
class Candidate:
    """A test a detector ran: its p-value and how to write the insight if it survives.

    `build` receives the Benjamini-Hochberg adjusted p-value (the q-value).
    """

    kind: str
    p_value: float
    build: Callable[[float], InsightCreate]


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """The BH-adjusted p-values (q-values), in the order given."""
    count = len(p_values)
    order = sorted(range(count), key=lambda index: p_values[index])
    adjusted = [1.0] * count
    running = 1.0
    for rank in range(count, 0, -1):
        index = order[rank - 1]
        running = min(running, p_values[index] * count / rank)
        adjusted[index] = running
    return adjusted


def discoveries(
    candidates: Sequence[Candidate], rate: float = FALSE_DISCOVERY_RATE
) -> list[InsightCreate]:
    """The insights of the candidates whose adjusted p-value is below `rate`."""
    adjusted = benjamini_hochberg([candidate.p_value for candidate in candidates])
    return [
        candidate.build(q_value)
        for candidate, q_value in zip(candidates, adjusted, strict=True)
        if q_value < rate
    ]


def worse_than(sample: Sequence[ClosedTrade], rest: Sequence[ClosedTrade]) -> float:
    """One-sided Mann-Whitney U p-value that `sample`'s net P&L is lower than `rest`'s."""
    test = mannwhitneyu(
        [float(trade.net_pnl) for trade in sample],
        [float(trade.net_pnl) for trade in rest],
        alternative="less",
    )
    return float(test.pvalue)


def each_against_the_rest(samples: Sequence[NDArray[np.float64]]) -> list[float]:
    """Two-sided Mann-Whitney U p-value of each sample against all the others pooled.

    The same p-values scipy's `mannwhitneyu(sample, rest, alternative="two-sided")` gives
    with its asymptotic method (tie correction, continuity correction), which it uses
    whenever both sides have more than 8 values; the pooled values are ranked once rather
    than once per sample, which at 50k trades was most of the timing detectors' time.
    """
    pooled = np.concatenate(samples)
    total = len(pooled)
    ranks = rankdata(pooled)
    _, tie_counts = np.unique(pooled, return_counts=True)
    tie_term = float(np.sum(tie_counts.astype(np.float64) ** 3 - tie_counts))
    p_values = []
    start = 0
    for sample in samples:
        size, rest = len(sample), total - len(sample)
        rank_sum = float(np.sum(ranks[start : start + size]))
        start += size
        u_sample = rank_sum - size * (size + 1) / 2
        u = max(u_sample, size * rest - u_sample)
        if size == 0 or rest == 0:
            # Nothing to compare with (one bucket holds every trade, or this one none).
            p_values.append(1.0)
            continue
        spread = math.sqrt(size * rest / 12 * ((total + 1) - tie_term / (total * (total - 1))))
        if spread == 0:
            p_values.append(1.0)
            continue
        z = (u - size * rest / 2 - 0.5) / spread
        p_values.append(min(max(2 * float(ndtr(-z)), 0.0), 1.0))
    return p_values


def mean_pnl(trades: Sequence[ClosedTrade]) -> Decimal:
    """Mean net P&L of a non-empty sample."""
    return sum((trade.net_pnl for trade in trades), Decimal(0)) / len(trades)


def shortfall(sample: Sequence[ClosedTrade], rest: Sequence[ClosedTrade]) -> Decimal | None:
    """What `sample` lost against trading at `rest`'s expectancy; None when it did not."""
    gap = (mean_pnl(rest) - mean_pnl(sample)) * len(sample)
    return money(gap) if gap > 0 else None


def confidence(test: str, p_value: float, q_value: float) -> str:
    """The confidence text of an insight: raw and adjusted p-values and the test."""
    return f"p={p_value:.3g}, BH q={q_value:.3g} ({test})"
