"""The `mood_and_reflection_themes` detector: journal themes that go with better or worse days.

For each emotion or mistake label, the daily net P&L of trading days whose journal shows
the label is compared with journaled trading days without it (two-sided Mann-Whitney U,
at least 5 days each). The tests join the trader's family of tests, so they pass the same
Benjamini-Hochberg control as every other detector and stay silent without evidence.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from zoneinfo import ZoneInfo

from scipy.stats import mannwhitneyu

from ai_coach.analytics import ClosedTrade, win_rate
from ai_coach.contracts.insight_create import Evidence, InsightCreate
from ai_coach.insights.evidence import figure, money, period
from ai_coach.insights.findings import Candidate, confidence
from ai_coach.reflections.lexicon import LABELS_BY_NAME
from ai_coach.reflections.themes import DaySplit, TaggedEntry, split_days

KIND = "mood_and_reflection_themes"
MIN_DAYS = 5


def _mean(values: Sequence[Decimal]) -> Decimal:
    return sum(values, Decimal(0)) / len(values)


def theme_candidates(
    trades: Sequence[ClosedTrade],
    tagged: Sequence[TaggedEntry],
    currency: str,
    time_zone: ZoneInfo,
) -> list[Candidate]:
    """One test per label seen in the journal with enough trading days on both sides."""
    labels = sorted({label for entry in tagged for label in entry.labels})
    candidates = []
    for label in labels:
        split = split_days(label, tagged, trades, time_zone)
        if len(split.days_with) < MIN_DAYS or len(split.days_without) < MIN_DAYS:
            continue
        with_values = [float(value) for value in split.pnl_with]
        without_values = [float(value) for value in split.pnl_without]
        if len(set(with_values + without_values)) < 2:
            continue
        p_value = float(mannwhitneyu(with_values, without_values, alternative="two-sided").pvalue)
        candidates.append(Candidate(KIND, p_value, _builder(split, tagged, p_value, currency)))
    return candidates


def _builder(
    split: DaySplit, tagged: Sequence[TaggedEntry], p_value: float, currency: str
) -> Callable[[float], InsightCreate]:
    def build(q_value: float) -> InsightCreate:
        label = LABELS_BY_NAME[split.label]
        mean_with = _mean(split.pnl_with)
        mean_without = _mean(split.pnl_without)
        worse = mean_with < mean_without
        days = set(split.days_with)
        phrases = sorted(
            {phrase for e in tagged if e.day in days for phrase in e.labels.get(split.label, [])}
        )
        rate_with = win_rate(split.trades_with)
        rate_without = win_rate(split.trades_without)
        shown = label.name.replace("_", " ")
        start, end = period(split.trades_with)
        gap = (mean_without - mean_with) * len(split.days_with)
        rule = label.rule if label.category == "mistake" else None
        if worse and rule is None:
            rule = f"When your journal shows {shown} before the session, trade half size that day."
        return InsightCreate(
            kind=KIND,
            title=f"Days with {shown} in your journal are {'worse' if worse else 'better'}",
            body=(
                f"On {len(split.days_with)} trading days your journal shows {shown} "
                f"({', '.join(repr(p) for p in phrases[:5])}); you made "
                f"{money(mean_with)} {currency} a day then, against {money(mean_without)} "
                f"{currency} on {len(split.days_without)} other journaled days."
            ),
            evidence=Evidence(
                metrics={
                    "theme": split.label,
                    "category": label.category,
                    "days_with": str(len(split.days_with)),
                    "days_without": str(len(split.days_without)),
                    "mean_daily_pnl_with": figure(mean_with),
                    "mean_daily_pnl_without": figure(mean_without),
                    "win_rate_with": figure(rate_with, 4) if rate_with is not None else "n/a",
                    "win_rate_without": (
                        figure(rate_without, 4) if rate_without is not None else "n/a"
                    ),
                    "phrases": "; ".join(phrases[:10]),
                    "p_value": f"{p_value:.4g}",
                    "q_value": f"{q_value:.4g}",
                },
                sample_size=len(split.days_with) + len(split.days_without),
                position_ids=[trade.id for trade in split.trades_with],
            ),
            confidence=confidence("two-sided Mann-Whitney U on daily P&L", p_value, q_value),
            cost=money(gap) if worse and gap > 0 else None,
            currency=currency,
            suggested_rule=rule if worse else None,
            period_start=start,
            period_end=end,
        )

    return build
