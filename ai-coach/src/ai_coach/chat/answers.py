"""Answers to a `Question` from the analytics: named numbers, a chart spec and a written reply.

Every number comes from `summarize` on the chosen trades; the written reply only formats
those numbers, and the same numbers are what a language model may cite.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from zoneinfo import ZoneInfo

from ai_coach.analytics import ClosedTrade, Summary, group, summarize, within
from ai_coach.analytics.breakdown import NO_PLAYBOOK, WEEKDAYS
from ai_coach.chat.questions import Metric, Question
from ai_coach.insights.evidence import money

LABELS: dict[Metric, str] = {
    "trades": "trades",
    "net_pnl": "net P&L",
    "win_rate": "win rate",
    "expectancy": "expectancy",
    "profit_factor": "profit factor",
}
DIMENSION_NAMES = {
    "weekday": "weekday",
    "hour": "hour of entry",
    "symbol": "symbol",
    "tag": "setup",
    "playbook": "playbook",
    "criterion": "playbook criterion",
    "account": "account",
    "asset_class": "asset class",
}


# How `written` shows a metric that is not defined for a sample.
UNDEFINED = ("n/a", "no losses")


@dataclass(frozen=True)
class NamedValue:
    """One number of an answer: what it is, its value as written, and where it came from."""

    name: str
    value: str
    source: str


@dataclass(frozen=True)
class ChartPoint:
    """A bar: its label and the metric's value as written ("n/a" when undefined)."""

    x: str
    y: str


@dataclass(frozen=True)
class Chart:
    """A bar chart of one metric per group (or selection vs the rest), one series per currency."""

    kind: str
    title: str
    series: dict[str, list[ChartPoint]]


@dataclass(frozen=True)
class Answer:
    """The reply text, the numbers it uses and a chart to draw (None when nothing to draw)."""

    text: str
    numbers: list[NamedValue]
    chart: Chart | None


def metric_value(summary: Summary, metric: Metric) -> Decimal | None:
    """A metric of a summary as a number; None when undefined (e.g. no losses)."""
    match metric:
        case "trades":
            return Decimal(summary.trades)
        case "net_pnl":
            return summary.net_pnl
        case "win_rate":
            return summary.win_rate
        case "expectancy":
            return summary.expectancy
        case "profit_factor":
            return summary.profit_factor.value


def written(metric: Metric, value: Decimal | None) -> str:
    """How a metric's value is written: money to the cent, a win rate as a 0-1 fraction to
    4 places, a profit factor to 2 places; "n/a" when undefined."""
    if value is None:
        return "no losses" if metric == "profit_factor" else "n/a"
    if metric == "trades":
        return str(int(value))
    if metric == "win_rate":
        return format(value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_EVEN), "f")
    return format(money(value), "f")


def _shown(metric: Metric, value: str, currency: str) -> str:
    if value in UNDEFINED:
        return value
    if metric == "win_rate":
        return f"{Decimal(value) * 100:.1f}%"
    if metric in ("net_pnl", "expectancy"):
        return f"{value} {currency}"
    return value


def select(question: Question, trades: Sequence[ClosedTrade], zone: ZoneInfo) -> list[ClosedTrade]:
    """The trades a question is about: closing day in its period, then its filters."""
    chosen = []
    for trade in within(trades, question.start, question.end, zone):
        opened = trade.opened_in(zone)
        if question.weekdays and WEEKDAYS[opened.weekday()] not in question.weekdays:
            continue
        if question.hour_from is not None and opened.hour < question.hour_from:
            continue
        if question.hour_to is not None and opened.hour >= question.hour_to:
            continue
        if question.symbols and trade.symbol not in question.symbols:
            continue
        if question.tags and not set(question.tags) & set(trade.tags):
            continue
        chosen.append(trade)
    return chosen


def describe(question: Question) -> str:
    """The trades a question chose, in words (for the reply and the numbers' source)."""
    parts = [question.period if question.period != "overall" else "all closed trades"]
    if question.account is not None:
        parts.append(f"in the account {question.account}")
    if question.weekdays:
        parts.append("on " + ", ".join(f"{day.capitalize()}s" for day in question.weekdays))
    if question.hour_from is not None:
        parts.append(f"entered from {question.hour_from:02d}:00")
    if question.hour_to is not None:
        parts.append(f"entered before {question.hour_to:02d}:00")
    if question.symbols:
        parts.append("in " + ", ".join(question.symbols))
    if question.tags:
        parts.append("with setup " + ", ".join(question.tags))
    return " ".join(parts)


def answer(
    question: Question,
    trades_by_currency: dict[str, list[ClosedTrade]],
    zone: ZoneInfo,
) -> Answer:
    """The answer per currency (amounts of different currencies never mix)."""
    scope = describe(question)
    numbers: list[NamedValue] = []
    sentences: list[str] = []
    series: dict[str, list[ChartPoint]] = {}
    for currency, trades in sorted(trades_by_currency.items()):
        chosen = select(question, trades, zone)
        if not chosen:
            continue
        if question.group_by is None:
            sentence, points = _overall(question, chosen, trades, zone, currency, numbers, scope)
        else:
            sentence, points = _grouped(question, chosen, zone, currency, numbers, scope)
        sentences.append(sentence)
        if points:
            series[currency] = points
    if not sentences:
        return Answer(f"You have no closed trades {scope}.", [], None)
    chart = None
    if series:
        metric = question.ranked_by if question.group_by else "expectancy"
        per = f" by {DIMENSION_NAMES[question.group_by]}" if question.group_by else ""
        chart = Chart(kind="bar", title=f"{LABELS[metric]}{per}, {scope}", series=series)
    return Answer(" ".join(sentences), numbers, chart)


def _overall(
    question: Question,
    chosen: list[ClosedTrade],
    trades: list[ClosedTrade],
    zone: ZoneInfo,
    currency: str,
    numbers: list[NamedValue],
    scope: str,
) -> tuple[str, list[ChartPoint]]:
    summary = summarize(chosen, time_zone=zone)
    parts = []
    for metric in question.shown:
        value = written(metric, metric_value(summary, metric))
        numbers.append(NamedValue(f"{metric} ({currency})", value, f"summarize({scope})"))
        parts.append(f"{LABELS[metric]} {_shown(metric, value, currency)}")
    sentence = f"{scope[0].upper()}{scope[1:]} ({currency}): " + ", ".join(parts) + "."
    if not question.filtered:
        return sentence, []
    # A filtered question is answered against the rest of the same period.
    period_only = Question(
        start=question.start, end=question.end, period=question.period, account=question.account
    )
    chosen_ids = {trade.id for trade in chosen}
    rest = [t for t in select(period_only, trades, zone) if t.id not in chosen_ids]
    points = [ChartPoint(scope, written("expectancy", summary.expectancy))]
    if rest:
        other = summarize(rest, time_zone=zone)
        expectancy = written("expectancy", other.expectancy)
        rest_scope = f"other trades, {describe(period_only)}"
        numbers.append(NamedValue(f"trades ({currency}, other)", str(other.trades), rest_scope))
        numbers.append(NamedValue(f"expectancy ({currency}, other)", expectancy, rest_scope))
        sentence += (
            f" Your other {other.trades} trades in the same period: expectancy "
            f"{_shown('expectancy', expectancy, currency)}."
        )
        points.append(ChartPoint("other trades", expectancy))
    return sentence, points


def _grouped(
    question: Question,
    chosen: list[ClosedTrade],
    zone: ZoneInfo,
    currency: str,
    numbers: list[NamedValue],
    scope: str,
) -> tuple[str, list[ChartPoint]]:
    assert question.group_by is not None
    dimension = DIMENSION_NAMES[question.group_by]
    metric = question.ranked_by
    summaries = {
        key: summarize(members, time_zone=zone)
        for key, members in group(chosen, question.group_by, zone).items()
    }
    values = {key: metric_value(summary, metric) for key, summary in summaries.items()}
    points = [ChartPoint(key, written(metric, value)) for key, value in values.items()]
    if question.rank is not None:
        # "My worst playbook" names a playbook, never the trades that followed none.
        ranked = [key for key, value in values.items() if value is not None and key != NO_PLAYBOOK]
        if not ranked:
            return f"No {dimension} has a {LABELS[metric]} {scope} ({currency}).", points
        pick = (min if question.rank == "worst" else max)(
            ranked, key=lambda key: values[key] or Decimal(0)
        )
        parts = []
        for shown_metric in dict.fromkeys((metric, *question.shown)):
            value = written(shown_metric, metric_value(summaries[pick], shown_metric))
            numbers.append(
                NamedValue(
                    f"{shown_metric} ({currency}, {pick})",
                    value,
                    f"summarize({scope}, {dimension} {pick})",
                )
            )
            parts.append(f"{LABELS[shown_metric]} {_shown(shown_metric, value, currency)}")
        return (
            f"Your {question.rank} {dimension} by {LABELS[metric]}, {scope} ({currency}), is "
            f"{pick}: " + ", ".join(parts) + ".",
            points,
        )
    parts = []
    for key, summary in summaries.items():
        value = written(metric, values[key])
        numbers.append(
            NamedValue(f"{metric} ({currency}, {key})", value, f"summarize({scope}, {key})")
        )
        numbers.append(
            NamedValue(
                f"trades ({currency}, {key})", str(summary.trades), f"summarize({scope}, {key})"
            )
        )
        parts.append(f"{key} {_shown(metric, value, currency)} ({summary.trades} trades)")
    return f"{LABELS[metric].capitalize()} by {dimension}, {scope} ({currency}): " + "; ".join(
        parts
    ) + ".", points
