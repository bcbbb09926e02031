"""Detectors of when the trader trades: overtrading, and hours and weekdays that leak or pay."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from decimal import Decimal
from statistics import median, quantiles
from zoneinfo import ZoneInfo

import numpy as np
from scipy.stats import mannwhitneyu

from ai_coach.analytics import ClosedTrade, group
from ai_coach.contracts.insight_create import Evidence, InsightCreate
from ai_coach.insights.evidence import figure, money, period
from ai_coach.insights.findings import (
    Candidate,
    confidence,
    each_against_the_rest,
    mean_pnl,
    shortfall,
)

UTC = ZoneInfo("UTC")
MIN_DAYS = 5
MIN_BUCKET = 15


def overtrading_candidates(
    trades: Sequence[ClosedTrade], currency: str, time_zone: ZoneInfo = UTC
) -> list[Candidate]:
    """Busy days (more trades than the 75th percentile and the median) that pay less per trade.

    One-sided Mann-Whitney U on the mean net P&L per trade of each day, busy days against
    the others (days, not trades, are the sample); at least 5 of each.
    """
    days: dict[object, list[ClosedTrade]] = defaultdict(list)
    for trade in trades:
        days[trade.opened_in(time_zone).date()].append(trade)
    if len(days) < 2 * MIN_DAYS:
        return []
    counts = [len(members) for members in days.values()]
    limit = max(math.ceil(quantiles(counts, n=4)[2]), math.floor(median(counts)) + 1)
    busy = [members for members in days.values() if len(members) > limit]
    normal = [members for members in days.values() if len(members) <= limit]
    if len(busy) < MIN_DAYS or len(normal) < MIN_DAYS:
        return []
    test = mannwhitneyu(
        [float(mean_pnl(day)) for day in busy],
        [float(mean_pnl(day)) for day in normal],
        alternative="less",
    )
    p_value = float(test.pvalue)
    busy_trades = [trade for day in busy for trade in day]
    normal_trades = [trade for day in normal for trade in day]

    def build(q_value: float) -> InsightCreate:
        start, end = period(trades)
        return InsightCreate(
            kind="overtrading",
            title=f"On days with more than {limit} trades you do worse",
            body=(
                f"On {len(busy)} days you took more than {limit} trades and made "
                f"{money(mean_pnl(busy_trades))} {currency} per trade; on your other "
                f"{len(normal)} days you made {money(mean_pnl(normal_trades))} {currency}."
            ),
            evidence=Evidence(
                metrics={
                    "busy_days": str(len(busy)),
                    "normal_days": str(len(normal)),
                    "trades_per_day_limit": str(limit),
                    "expectancy_busy_days": figure(mean_pnl(busy_trades)),
                    "expectancy_normal_days": figure(mean_pnl(normal_trades)),
                    "p_value": f"{p_value:.4g}",
                    "q_value": f"{q_value:.4g}",
                },
                sample_size=len(days),
                position_ids=[trade.id for trade in busy_trades],
            ),
            confidence=confidence("one-sided Mann-Whitney U on days", p_value, q_value),
            cost=shortfall(busy_trades, normal_trades),
            currency=currency,
            suggested_rule=f"At most {limit} trades a day.",
            period_start=start,
            period_end=end,
        )

    return [Candidate("overtrading", p_value, build)]


def timing_candidates(
    trades: Sequence[ClosedTrade], currency: str, time_zone: ZoneInfo = UTC
) -> list[Candidate]:
    """Each hour of entry and each weekday whose trades differ from all the others.

    Two-sided Mann-Whitney U of the bucket's net P&L against the rest's; one test per
    bucket with at least 15 trades in it and 15 outside it. A worse bucket is a leak
    (`time_of_day_leak`, `weekday_leak`), a better one an edge (`..._edge`).
    """
    candidates = []
    for dimension, name in (("hour", "time_of_day"), ("weekday", "weekday")):
        buckets = group(trades, "hour" if dimension == "hour" else "weekday", time_zone)
        # Each bucket is tested against the rest, so P&L and totals are gathered once.
        totals = {
            key: sum((t.net_pnl for t in members), Decimal(0)) for key, members in buckets.items()
        }
        everything = sum(totals.values(), Decimal(0))
        p_values = dict(
            zip(
                buckets,
                each_against_the_rest(
                    [
                        np.array([float(trade.net_pnl) for trade in members])
                        for members in buckets.values()
                    ]
                ),
                strict=True,
            )
        )
        for key, members in buckets.items():
            rest_count = len(trades) - len(members)
            if len(members) < MIN_BUCKET or rest_count < MIN_BUCKET:
                continue
            p_value = p_values[key]
            leak = totals[key] / len(members) < (everything - totals[key]) / rest_count
            kind = f"{name}_{'leak' if leak else 'edge'}"
            label = f"{key}:00-{key}:59" if dimension == "hour" else f"{key.capitalize()}s"
            candidates.append(
                Candidate(
                    kind,
                    p_value,
                    _timing_builder(kind, label, key, buckets, trades, p_value, currency, leak),
                )
            )
    return candidates


def _timing_builder(
    kind: str,
    label: str,
    key: str,
    buckets: dict[str, list[ClosedTrade]],
    trades: Sequence[ClosedTrade],
    p_value: float,
    currency: str,
    leak: bool,
) -> Callable[[float], InsightCreate]:
    def build(q_value: float) -> InsightCreate:
        members = buckets[key]
        rest = [trade for other, others in buckets.items() if other != key for trade in others]
        start, end = period(trades)
        total = sum((trade.net_pnl for trade in members), Decimal(0))
        if leak:
            title = f"Your trades entered {label} lose money"
            rule = f"No new entries {label}."
        else:
            title = f"Your trades entered {label} are your best"
            rule = f"Put your full size only on entries {label}; reduce it elsewhere."
        return InsightCreate(
            kind=kind,
            title=title,
            body=(
                f"{len(members)} trades entered {label} made {money(mean_pnl(members))} "
                f"{currency} per trade ({money(total)} {currency} in total); your other "
                f"{len(rest)} trades made {money(mean_pnl(rest))} {currency} per trade."
            ),
            evidence=Evidence(
                metrics={
                    "bucket": label,
                    "trades_in_bucket": str(len(members)),
                    "other_trades": str(len(rest)),
                    "expectancy_bucket": figure(mean_pnl(members)),
                    "expectancy_other": figure(mean_pnl(rest)),
                    "p_value": f"{p_value:.4g}",
                    "q_value": f"{q_value:.4g}",
                },
                sample_size=len(trades),
                position_ids=[trade.id for trade in members],
            ),
            confidence=confidence("two-sided Mann-Whitney U", p_value, q_value),
            cost=shortfall(members, rest) if leak else None,
            currency=currency,
            suggested_rule=rule,
            period_start=start,
            period_end=end,
        )

    return build
