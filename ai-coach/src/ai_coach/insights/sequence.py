"""Detectors of what one trade does to the next: revenge trading, tilt and size creep."""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from operator import attrgetter

from scipy.stats import wilcoxon

from ai_coach.analytics import CLOSED_AT, ClosedTrade
from ai_coach.contracts.insight_create import Evidence, InsightCreate
from ai_coach.insights.evidence import figure, money, period
from ai_coach.insights.findings import Candidate, confidence, mean_pnl, shortfall, worse_than

REVENGE_WINDOW_SECONDS = 15 * 60
TILT_STREAK = 3
MIN_SAMPLE = 10
MIN_SIZE_PAIRS = 15


@dataclass(frozen=True)
class Follows:
    """Each trade in opening order (`entries`), and at the same place in `previous` the
    last trade closed before it opened (None for none).

    Two lists rather than a list of pairs: at 50k trades the pairs were 50k objects more
    for the garbage collector to scan.
    """

    entries: list[ClosedTrade]
    previous: list[ClosedTrade | None]

    def pairs(self) -> Iterator[tuple[ClosedTrade, ClosedTrade | None]]:
        """Each entry with the trade closed before it."""
        return zip(self.entries, self.previous, strict=True)


def follows(trades: Sequence[ClosedTrade]) -> Follows:
    """Each trade in opening order, paired with the last trade closed before it opened."""
    closed = sorted(trades, key=CLOSED_AT)
    close_times = [trade.closed_at for trade in closed]
    entries = sorted(trades, key=attrgetter("opened_at"))
    previous: list[ClosedTrade | None] = []
    for trade in entries:
        index = bisect.bisect_right(close_times, trade.opened_at) - 1
        previous.append(closed[index] if index >= 0 else None)
    return Follows(entries, previous)


def revenge_candidates(
    trades: Sequence[ClosedTrade], order: Follows, currency: str
) -> list[Candidate]:
    """Entries within 15 minutes of closing a loss that do worse than the other trades.

    `order` is `follows(trades)`. One-sided Mann-Whitney U on net P&L; at least 10 such
    entries and 10 others.
    """
    revenge, sizes, others = [], [], []
    for trade, before in order.pairs():
        gap = (trade.opened_at - before.closed_at).total_seconds() if before else None
        if (
            before
            and before.outcome == "loss"
            and gap is not None
            and gap <= REVENGE_WINDOW_SECONDS
        ):
            revenge.append(trade)
            if before.size > 0:
                sizes.append(trade.size / before.size)
        else:
            others.append(trade)
    if len(revenge) < MIN_SAMPLE or len(others) < MIN_SAMPLE:
        return []
    p_value = worse_than(revenge, others)
    size_ratio = sum(sizes, Decimal(0)) / len(sizes) if sizes else None

    def build(q_value: float) -> InsightCreate:
        cost = shortfall(revenge, others)
        start, end = period(trades)
        metrics = {
            "revenge_trades": str(len(revenge)),
            "other_trades": str(len(others)),
            "expectancy_revenge": figure(mean_pnl(revenge)),
            "expectancy_other": figure(mean_pnl(others)),
            "window_seconds": str(REVENGE_WINDOW_SECONDS),
            "p_value": f"{p_value:.4g}",
            "q_value": f"{q_value:.4g}",
        }
        if size_ratio is not None:
            metrics["mean_size_vs_losing_trade"] = figure(size_ratio)
        return InsightCreate(
            kind="revenge_trading",
            title="Trades taken right after a loss lose money",
            body=(
                f"{len(revenge)} of your trades were opened within 15 minutes of closing a "
                f"loss. They made {money(mean_pnl(revenge))} {currency} per trade against "
                f"{money(mean_pnl(others))} {currency} for your other {len(others)} trades"
                + (
                    f", at {figure(size_ratio)}x the size of the loss before."
                    if size_ratio
                    else "."
                )
            ),
            evidence=Evidence(
                metrics=metrics,
                sample_size=len(trades),
                position_ids=[trade.id for trade in revenge],
            ),
            confidence=confidence("one-sided Mann-Whitney U", p_value, q_value),
            cost=cost,
            currency=currency,
            suggested_rule="After a losing trade, wait 15 minutes before the next entry.",
            period_start=start,
            period_end=end,
        )

    return [Candidate("revenge_trading", p_value, build)]


def tilt_candidates(trades: Sequence[ClosedTrade], currency: str) -> list[Candidate]:
    """Trades after 3 consecutive losses that do worse than the other trades.

    One-sided Mann-Whitney U on net P&L; at least 10 such trades and 10 others.
    """
    closed = sorted(trades, key=CLOSED_AT)
    tilted: list[ClosedTrade] = []
    others: list[ClosedTrade] = []
    run = 0
    for trade in closed:
        (tilted if run >= TILT_STREAK else others).append(trade)
        run = run + 1 if trade.outcome == "loss" else 0
    if len(tilted) < MIN_SAMPLE or len(others) < MIN_SAMPLE:
        return []
    p_value = worse_than(tilted, others)

    def build(q_value: float) -> InsightCreate:
        start, end = period(trades)
        return InsightCreate(
            kind="tilt",
            title=f"After {TILT_STREAK} losses in a row your trading gets worse",
            body=(
                f"The {len(tilted)} trades you took after {TILT_STREAK} or more straight "
                f"losses made {money(mean_pnl(tilted))} {currency} per trade; your other "
                f"{len(others)} trades made {money(mean_pnl(others))} {currency}."
            ),
            evidence=Evidence(
                metrics={
                    "trades_after_streak": str(len(tilted)),
                    "other_trades": str(len(others)),
                    "streak": str(TILT_STREAK),
                    "expectancy_after_streak": figure(mean_pnl(tilted)),
                    "expectancy_other": figure(mean_pnl(others)),
                    "p_value": f"{p_value:.4g}",
                    "q_value": f"{q_value:.4g}",
                },
                sample_size=len(trades),
                position_ids=[trade.id for trade in tilted],
            ),
            confidence=confidence("one-sided Mann-Whitney U", p_value, q_value),
            cost=shortfall(tilted, others),
            currency=currency,
            suggested_rule=f"Stop trading for the day after {TILT_STREAK} losses in a row.",
            period_start=start,
            period_end=end,
        )

    return [Candidate("tilt", p_value, build)]


def size_creep_candidates(
    trades: Sequence[ClosedTrade], order: Follows, currency: str
) -> list[Candidate]:
    """Size that grows after wins, or after losses, more than chance allows.

    `order` is `follows(trades)`. For each trade the log ratio of its size to the size of
    the trade closed before it opened; one-sided Wilcoxon signed-rank test that the ratios
    after a win (and, as a second test, after a loss) are above 0. At least 15 pairs each.
    """
    # The trades after a win (after a loss) and their size ratios, at the same places.
    followers: dict[str, list[ClosedTrade]] = {"win": [], "loss": []}
    ratios: dict[str, list[float]] = {"win": [], "loss": []}
    for trade, before in order.pairs():
        if before and before.outcome in ratios and before.size > 0 and trade.size > 0:
            followers[before.outcome].append(trade)
            # A float division: the test is on floats anyway, and a Decimal division per
            # pair was most of this detector's time. Equal ratios stay equal (ties count).
            ratios[before.outcome].append(math.log(float(trade.size) / float(before.size)))
    candidates = []
    for after, sample in ratios.items():
        if len(sample) < MIN_SIZE_PAIRS or all(ratio == 0 for ratio in sample):
            continue
        p_value = float(wilcoxon(sample, alternative="greater").pvalue)
        build = _size_creep_builder(trades, after, followers[after], sample, p_value, currency)
        candidates.append(Candidate("size_creep", p_value, build))
    return candidates


def _size_creep_builder(
    trades: Sequence[ClosedTrade],
    after: str,
    followers: list[ClosedTrade],
    sample: list[float],
    p_value: float,
    currency: str,
) -> Callable[[float], InsightCreate]:
    upsized = [trade for trade, ratio in zip(followers, sample, strict=True) if ratio > 0]
    mean_ratio = math.exp(sum(sample) / len(sample))
    lost = -sum((trade.net_pnl for trade in upsized), Decimal(0))

    def build(q_value: float) -> InsightCreate:
        start, end = period(trades)
        return InsightCreate(
            kind="size_creep",
            title=f"Your size grows after a {after}",
            body=(
                f"After a {after} your next trade was on average {mean_ratio:.2f}x the size "
                f"of the one before ({len(sample)} trades, {len(upsized)} larger). The larger "
                f"ones made {money(-lost)} {currency} in total."
            ),
            evidence=Evidence(
                metrics={
                    "after": after,
                    "pairs": str(len(sample)),
                    "upsized": str(len(upsized)),
                    "geometric_mean_size_ratio": f"{mean_ratio:.4f}",
                    "p_value": f"{p_value:.4g}",
                    "q_value": f"{q_value:.4g}",
                },
                sample_size=len(sample),
                position_ids=[trade.id for trade in upsized],
            ),
            confidence=confidence("one-sided Wilcoxon signed-rank", p_value, q_value),
            cost=money(lost) if lost > 0 else None,
            currency=currency,
            suggested_rule=(
                f"Size every trade from the plan's risk per trade, never from the last {after}."
            ),
            period_start=start,
            period_end=end,
        )

    return build
