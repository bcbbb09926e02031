"""Symbols and tags (setups) with a negative expectancy."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal

from scipy.stats import ttest_1samp

from ai_coach.analytics import ClosedTrade, group
from ai_coach.analytics.breakdown import UNTAGGED
from ai_coach.contracts.insight_create import Evidence, InsightCreate
from ai_coach.insights.evidence import figure, money, period
from ai_coach.insights.findings import Candidate, confidence, mean_pnl

MIN_TRADES = 15


def negative_expectancy_candidates(trades: Sequence[ClosedTrade], currency: str) -> list[Candidate]:
    """Each symbol and each tag whose mean net P&L is below zero.

    One-sided one-sample t-test of the net P&L (mean < 0); one test per symbol or tag
    with at least 15 trades. Untagged trades are not a setup and are not tested.
    """
    candidates = []
    for dimension in ("symbol", "tag"):
        for key, members in group(trades, "symbol" if dimension == "symbol" else "tag").items():
            if key in ("", UNTAGGED) or len(members) < MIN_TRADES:
                continue
            values = [float(trade.net_pnl) for trade in members]
            if len(set(values)) < 2:
                continue
            p_value = float(ttest_1samp(values, 0.0, alternative="less").pvalue)
            candidates.append(
                Candidate(
                    f"negative_expectancy_{dimension}",
                    p_value,
                    _builder(dimension, key, members, p_value, currency),
                )
            )
    return candidates


def _builder(
    dimension: str,
    key: str,
    members: list[ClosedTrade],
    p_value: float,
    currency: str,
) -> Callable[[float], InsightCreate]:
    def build(q_value: float) -> InsightCreate:
        start, end = period(members)
        total = sum((trade.net_pnl for trade in members), Decimal(0))
        what = key if dimension == "symbol" else f"setup '{key}'"
        return InsightCreate(
            kind=f"negative_expectancy_{dimension}",
            title=f"{what} loses money",
            body=(
                f"Your {len(members)} trades in {what} made {money(mean_pnl(members))} "
                f"{currency} per trade, {money(total)} {currency} in total."
            ),
            evidence=Evidence(
                metrics={
                    dimension: key,
                    "trades": str(len(members)),
                    "expectancy": figure(mean_pnl(members)),
                    "net_pnl": figure(total),
                    "p_value": f"{p_value:.4g}",
                    "q_value": f"{q_value:.4g}",
                },
                sample_size=len(members),
                position_ids=[trade.id for trade in members],
            ),
            confidence=confidence("one-sided t-test, mean < 0", p_value, q_value),
            cost=money(-total) if total < 0 else None,
            currency=currency,
            suggested_rule=f"Stop trading {what} until a paper-traded sample shows an edge.",
            period_start=start,
            period_end=end,
        )

    return build
