"""Disposition effect: losing trades held longer than winning ones."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from statistics import median

from scipy.stats import mannwhitneyu

from ai_coach.analytics import ClosedTrade
from ai_coach.contracts.insight_create import Evidence, InsightCreate
from ai_coach.insights.evidence import duration, figure, money, period
from ai_coach.insights.findings import Candidate, confidence

KIND = "disposition_effect"
MIN_WINNERS = 10
MIN_LOSERS = 10
SIGNIFICANCE = 0.05


def detect_disposition_effect(trades: Sequence[ClosedTrade], currency: str) -> InsightCreate | None:
    """An insight when losers are held significantly longer than winners, else None.

    One-sided Mann-Whitney U test on holding times, at least 10 winners and 10 losers,
    p < 0.05. The cost is what the losers held beyond the winners' median holding time
    lost in total (a positive amount).
    """
    winners = [trade for trade in trades if trade.outcome == "win"]
    losers = [trade for trade in trades if trade.outcome == "loss"]
    if len(winners) < MIN_WINNERS or len(losers) < MIN_LOSERS:
        return None
    test = mannwhitneyu(
        [trade.holding_seconds for trade in losers],
        [trade.holding_seconds for trade in winners],
        alternative="greater",
    )
    p_value = float(test.pvalue)
    if not p_value < SIGNIFICANCE:
        return None
    winners_median = Decimal(median(trade.holding_seconds for trade in winners))
    losers_median = Decimal(median(trade.holding_seconds for trade in losers))
    held_too_long = [trade for trade in losers if trade.holding_seconds > winners_median]
    cost = money(-sum((trade.net_pnl for trade in held_too_long), Decimal(0)))
    start, end = period([*winners, *losers])
    return InsightCreate(
        kind=KIND,
        title="You hold losing trades longer than winning ones",
        body=(
            f"Your losing trades were held a median of {duration(losers_median)}, your "
            f"winning trades {duration(winners_median)} ({len(losers)} losers, "
            f"{len(winners)} winners). The {len(held_too_long)} losers you kept beyond your "
            f"winners' median holding time lost {cost} {currency} in total: cutting a loser "
            "when it has had as long as a typical winner would have limited that."
        ),
        evidence=Evidence(
            metrics={
                "median_holding_seconds_winners": figure(winners_median, 1),
                "median_holding_seconds_losers": figure(losers_median, 1),
                "winners": str(len(winners)),
                "losers": str(len(losers)),
                "losers_held_beyond_winners_median": str(len(held_too_long)),
                "mann_whitney_u": figure(Decimal(str(float(test.statistic))), 1),
                "p_value": f"{p_value:.4g}",
            },
            sample_size=len(winners) + len(losers),
            position_ids=[trade.id for trade in held_too_long],
        ),
        confidence=f"p={p_value:.3g} (one-sided Mann-Whitney U)",
        cost=cost,
        currency=currency,
        suggested_rule=(
            f"Time stop: close any trade still open after {duration(winners_median)} "
            "(the median time your winners need)."
        ),
        period_start=start,
        period_end=end,
    )


def disposition_candidates(trades: Sequence[ClosedTrade], currency: str) -> list[Candidate]:
    """The disposition test as a candidate of the false-discovery family (10+ of each side)."""
    winners = [trade.holding_seconds for trade in trades if trade.outcome == "win"]
    losers = [trade.holding_seconds for trade in trades if trade.outcome == "loss"]
    if len(winners) < MIN_WINNERS or len(losers) < MIN_LOSERS:
        return []
    p_value = float(mannwhitneyu(losers, winners, alternative="greater").pvalue)

    def build(q_value: float) -> InsightCreate:
        insight = detect_disposition_effect(trades, currency)
        # A q-value below the rate implies p below it, so the detector fires.
        assert insight is not None
        return insight.model_copy(
            update={"confidence": confidence("one-sided Mann-Whitney U", p_value, q_value)}
        )

    return [Candidate(KIND, p_value, build)]
