"""The weekly review, computed from closed positions, the journal and the plan's record.

The focus for next week is chosen by one rule, in this order:
1. the behavioural insight holding at the week's end with the largest cost: its rule;
2. else the mistake the journal named most that week: the lexicon's rule for it;
3. else, when the week traded more than 1.5 times the baseline's weekly trades: hold
   the count to the baseline;
4. else, when the week's expectancy is below the baseline's: only the setups with a
   positive expectancy;
5. else: keep the process and journal every trading day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from zoneinfo import ZoneInfo

from ai_coach.analytics import ClosedTrade, expectancy, win_rate, within
from ai_coach.contracts import weekly_review_create as report
from ai_coach.contracts.adherence import Adherence
from ai_coach.contracts.insight_create import InsightCreate
from ai_coach.contracts.reflection_themes import Theme
from ai_coach.contracts.violation_page import Violation
from ai_coach.contracts.weekly_review_create import (
    CurrencyReview,
    Focus,
    WeeklyReviewReport,
    WeekNumbers,
)
from ai_coach.insights.evidence import money
from ai_coach.insights.service import detect_all
from ai_coach.reflections.endpoints import themes_of
from ai_coach.reflections.lexicon import LABELS_BY_NAME
from ai_coach.reflections.themes import TaggedEntry, count_labels

BASELINE_WEEKS = 8
TOP_INSIGHTS = 3
NO_PLAN = "no plan yet"


def _numbers(trades: Sequence[ClosedTrade], weeks: int) -> WeekNumbers:
    total = sum((trade.net_pnl for trade in trades), Decimal(0))
    rate = win_rate(trades)
    mean = expectancy(trades)
    return WeekNumbers(
        trades=Decimal(len(trades)) / weeks,
        net_pnl=money(total / weeks),
        win_rate=rate.quantize(Decimal("0.0001")) if rate is not None else None,
        expectancy=money(mean) if mean is not None else None,
    )


def choose_focus(
    insights: Sequence[InsightCreate], themes: Sequence[Theme], currencies: Sequence[CurrencyReview]
) -> Focus:
    """The focus for next week by the rule in this module's docstring."""
    costly = [i for i in insights if i.cost is not None and i.suggested_rule]
    if costly:
        top = max(costly, key=lambda insight: insight.cost or Decimal(0))
        return Focus(
            rule=top.suggested_rule or "",
            reason=f"{top.title}: it cost {top.cost} {top.currency}.",
            source=f"insight:{top.kind}",
        )
    mistakes = [theme for theme in themes if theme.category == "mistake"]
    if mistakes:
        top_theme = max(mistakes, key=lambda theme: theme.entries)
        return Focus(
            rule=LABELS_BY_NAME[top_theme.label].rule or "",
            reason=f"Your journal named {top_theme.label.replace('_', ' ')} "
            f"in {top_theme.entries} entries this week.",
            source=f"journal:{top_theme.label}",
        )
    for review in currencies:
        if review.baseline_weeks_traded and review.week.trades > review.baseline.trades * Decimal(
            "1.5"
        ):
            count = review.baseline.trades.quantize(Decimal(1))
            return Focus(
                rule=f"Take at most {count} trades next week, your usual weekly count.",
                reason=f"You took {review.week.trades} trades against {count} in a usual week.",
                source="numbers:trade_count",
            )
        week, base = review.week.expectancy, review.baseline.expectancy
        if review.baseline_weeks_traded and week is not None and base is not None and week < base:
            return Focus(
                rule="Trade only the setups with a positive expectancy in your analytics.",
                reason=f"Your expectancy was {week} {review.currency} against {base} usually.",
                source="numbers:expectancy",
            )
    return Focus(
        rule="Keep your process and write a journal entry every trading day.",
        reason="Nothing stood out against your own baseline.",
        source="default",
    )


def describe_adherence(adherence: Adherence | None) -> str:
    """The review's plan adherence in words, from core's figures for the week only."""
    if adherence is None or not adherence.rules:
        return NO_PLAN
    if adherence.adherence_rate is None:
        return "no trade was checked against the plan this week"
    parts = [f"{adherence.adherence_rate * 100:.0f}% of checks kept to the plan"]
    broken = sorted(
        (rule for rule in adherence.rules if rule.violated),
        key=lambda rule: rule.violated,
        reverse=True,
    )
    if broken:
        named = ", ".join(
            f"{rule.name or rule.kind.replace('_', ' ')} broken {rule.violated}×" for rule in broken
        )
        parts.append(named)
    for pnl in adherence.pnl or []:
        if pnl.violating_positions:
            parts.append(
                f"net {pnl.net_pnl} {pnl.currency}, {pnl.net_pnl_without_violations} "
                f"without the {pnl.violating_positions} rule-breaking trades"
            )
    return "; ".join(parts)


def narrate(review: WeeklyReviewReport) -> str:
    """The written summary of a review, from its numbers only."""
    parts = [f"Week of {review.week_start}."]
    for item in review.currencies:
        parts.append(
            f"{item.currency}: {item.week.trades} trades, net {item.week.net_pnl} "
            f"(usual week: {item.baseline.trades.quantize(Decimal('0.1'))} trades, "
            f"net {item.baseline.net_pnl})."
        )
    if not review.currencies:
        parts.append("No closed trades this week.")
    if review.journal_themes:
        named = ", ".join(theme.label.replace("_", " ") for theme in review.journal_themes[:3])
        parts.append(f"Your journal talked most about {named}.")
    parts.append(f"Plan adherence: {review.plan_adherence}.")
    parts.append(f"Focus for next week: {review.focus.rule}")
    return " ".join(parts)


def build_review(
    trades_by: dict[str, list[ClosedTrade]],
    tagged: Sequence[TaggedEntry],
    week_start: dt.date,
    time_zone: ZoneInfo,
    violations: Sequence[Violation] = (),
    adherence: Adherence | None = None,
) -> WeeklyReviewReport:
    """The review of the ISO week starting on `week_start` (a Monday); `adherence` is the
    plan's record over that week (None: no plan)."""
    week_end = week_start + dt.timedelta(days=6)
    baseline_start = week_start - dt.timedelta(weeks=BASELINE_WEEKS)
    baseline_end = week_start - dt.timedelta(days=1)
    currencies = []
    insights: list[InsightCreate] = []
    history = [entry for entry in tagged if entry.day <= week_end]
    for currency, trades in trades_by.items():
        week = within(trades, week_start, week_end, time_zone)
        before = within(trades, baseline_start, baseline_end, time_zone)
        traded_weeks = {trade.closed_in(time_zone).date().isocalendar()[:2] for trade in before}
        if week:
            currencies.append(
                CurrencyReview(
                    currency=currency,
                    week=_numbers(week, 1),
                    baseline=_numbers(before, BASELINE_WEEKS),
                    baseline_weeks_traded=len(traded_weeks),
                )
            )
        # Insights that hold on everything up to the week's end and touch the week.
        upto = within(trades, None, week_end, time_zone)
        insights.extend(
            insight
            for insight in detect_all(upto, currency, time_zone, history, violations)
            if insight.kind != "performance_summary"
            and (insight.period_end is None or insight.period_end >= week_start)
        )
    insights.sort(key=lambda insight: insight.cost or Decimal(0), reverse=True)
    week_entries = [entry for entry in tagged if week_start <= entry.day <= week_end]
    themes = themes_of(count_labels(week_entries))
    # The detectors' and the themes' models are generated from other schemas; the report
    # has its own copies of the same shapes.
    review = WeeklyReviewReport(
        week_start=week_start,
        week_end=week_end,
        time_zone=str(time_zone),
        currencies=currencies,
        top_insights=[
            report.InsightCreate.model_validate(insight.model_dump())
            for insight in insights[:TOP_INSIGHTS]
        ],
        journal_themes=[report.Theme.model_validate(theme.model_dump()) for theme in themes],
        plan_adherence=describe_adherence(adherence),
        focus=choose_focus(insights, themes, currencies),
        narrative="",
    )
    return review.model_copy(update={"narrative": narrate(review)})
