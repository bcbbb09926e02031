"""A small question grammar: plain words to an analytics query, with no model needed.

A hand-written grammar over a word tokenizer, so every understood phrase is listed in
one place (`UNDERSTOOD`) and an unknown question can say what would work. Phrases:

- period: `today`, `yesterday`, `this|last week|month|quarter|year`,
  `last N days|weeks|months`, `since <month> [<year>]`, `since <year>`,
  `in <year>`, `in <month> [<year>]`; without one, all closed trades.
- grouping: `by|per|each <dimension>`, or `worst|best <dimension>` to pick one group;
  dimensions: weekday (day of week), hour (time of day), symbol (ticker, instrument),
  setup (tag, strategy), playbook, criterion (criteria, checklist: each playbook
  criterion met or missed), account, asset class.
- filters: `on Mondays` (any weekday), `after 11`, `before 14:00`, `between 9 and 11`
  (hour of entry, `am`/`pm` understood), a symbol or a tag the trader has traded;
  two or more symbols (`NQ vs ES`) compare them.
- metrics: P&L (profit, made), win rate, expectancy (per trade), profit factor,
  number of trades; "how do I do" or none named gives all of them.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Literal

from ai_coach.analytics import Dimension
from ai_coach.analytics.breakdown import WEEKDAYS

Metric = Literal["net_pnl", "win_rate", "expectancy", "profit_factor", "trades"]
Ranking = Literal["worst", "best"]
METRICS: tuple[Metric, ...] = ("trades", "net_pnl", "win_rate", "expectancy", "profit_factor")
OVERVIEW: tuple[Metric, ...] = ("trades", "net_pnl", "win_rate", "expectancy")
UNDERSTOOD = (
    "periods: today, yesterday, this/last week, month, quarter or year, last 30 days, "
    "since June, since 2025, in 2025, in March 2026",
    "groups: by weekday, hour, symbol, setup, playbook, criterion, account or asset class; "
    "worst or best setup, playbook, criterion, symbol, hour, weekday",
    "filters: on Mondays, after 11, before 14:00, between 9 and 11, a symbol (NQ vs ES) "
    "or one of your setups",
    "numbers: P&L, win rate, expectancy, profit factor, number of trades",
)


@dataclass(frozen=True)
class Question:
    """An analytics query: which trades, grouped how, which metrics, worst or best group.

    Trades are chosen by closing day (`start`..`end`), entry weekday and hour in the
    trader's zone (`hour_from` inclusive, `hour_to` exclusive), symbols and tags.
    `metrics` empty means none was named.
    """

    metrics: tuple[Metric, ...] = ()
    group_by: Dimension | None = None
    rank: Ranking | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    period: str = "overall"
    weekdays: tuple[str, ...] = ()
    hour_from: int | None = None
    hour_to: int | None = None
    symbols: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    # The name of the one account the trades are of (the request's choice, never the
    # question's words); None: every account.
    account: str | None = None
    phrases: tuple[str, ...] = field(default=(), compare=False)

    @property
    def shown(self) -> tuple[Metric, ...]:
        """The metrics to answer with: those asked for, else the overview."""
        return self.metrics or OVERVIEW

    @property
    def ranked_by(self) -> Metric:
        """The metric that picks the worst or best group: the first asked for, else P&L."""
        return self.metrics[0] if self.metrics else "net_pnl"

    @property
    def filtered(self) -> bool:
        """True when the question narrows the trades beyond the period."""
        return bool(
            self.weekdays
            or self.hour_from is not None
            or self.hour_to is not None
            or self.symbols
            or self.tags
        )


class NotUnderstoodError(ValueError):
    """The question matched nothing of the grammar; the message lists what it understands."""


_TOKEN = re.compile(r"p&l|[a-z]+|\d{1,4}(?::\d{2})?", re.IGNORECASE)
_MONTHS = {name.lower(): index for index, name in enumerate(calendar.month_name) if name}
_MONTHS |= {name.lower(): index for index, name in enumerate(calendar.month_abbr) if name}
_WEEKDAY_WORDS = {day: day for day in WEEKDAYS} | {f"{day}s": day for day in WEEKDAYS}
_WEEKDAY_WORDS |= {day[:3]: day for day in WEEKDAYS}
_DIMENSIONS: dict[str, Dimension] = {
    "weekday": "weekday",
    "weekdays": "weekday",
    "hour": "hour",
    "hours": "hour",
    "time": "hour",
    "symbol": "symbol",
    "symbols": "symbol",
    "ticker": "symbol",
    "tickers": "symbol",
    "instrument": "symbol",
    "instruments": "symbol",
    "market": "symbol",
    "markets": "symbol",
    "setup": "tag",
    "setups": "tag",
    "tag": "tag",
    "tags": "tag",
    "strategy": "tag",
    "strategies": "tag",
    "playbook": "playbook",
    "playbooks": "playbook",
    "criterion": "criterion",
    "criteria": "criterion",
    "checklist": "criterion",
    "account": "account",
    "accounts": "account",
    "asset": "asset_class",
}
_METRIC_WORDS: dict[str, Metric] = {
    "p&l": "net_pnl",
    "pnl": "net_pnl",
    "profit": "net_pnl",
    "profits": "net_pnl",
    "made": "net_pnl",
    "make": "net_pnl",
    "money": "net_pnl",
    "expectancy": "expectancy",
}
_PAIRS: dict[tuple[str, str], Metric] = {
    ("win", "rate"): "win_rate",
    ("hit", "rate"): "win_rate",
    ("profit", "factor"): "profit_factor",
    ("per", "trade"): "expectancy",
    ("many", "trades"): "trades",
    ("trade", "count"): "trades",
    ("number", "of"): "trades",
}


def _quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _last_month_named(month: int, today: dt.date) -> int:
    """The year of the most recent `month` that has begun by `today`."""
    return today.year if month <= today.month else today.year - 1


def _hour(token: str, following: str | None) -> int | None:
    hour = int(token.split(":")[0])
    if following == "pm" and hour < 12:
        hour += 12
    elif following == "am" and hour == 12:
        hour = 0
    return hour if 0 <= hour <= 24 else None


@dataclass
class _Parse:
    words: list[str]
    originals: list[str]
    today: dt.date
    metrics: list[Metric] = field(default_factory=list)
    group_by: Dimension | None = None
    rank: Ranking | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    period: str = "overall"
    weekdays: list[str] = field(default_factory=list)
    hour_from: int | None = None
    hour_to: int | None = None
    symbols: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)

    def word(self, index: int) -> str | None:
        return self.words[index] if 0 <= index < len(self.words) else None

    def year_at(self, index: int) -> int | None:
        word = self.word(index)
        if word is not None and word.isdigit() and len(word) == 4:
            return int(word)
        return None


def _period(p: _Parse, i: int) -> int:
    """Reads a period phrase at word i; the number of words it used (0: none)."""
    word, nxt, today = p.words[i], p.word(i + 1), p.today
    if word in ("today", "yesterday"):
        day = today if word == "today" else today - dt.timedelta(days=1)
        p.start = p.end = day
        p.period = word
        return 1
    if word in ("this", "last") and nxt in ("week", "month", "quarter", "year"):
        if nxt == "week":
            start = today - dt.timedelta(days=today.weekday())
            if word == "last":
                start -= dt.timedelta(days=7)
            end = start + dt.timedelta(days=6)
        elif nxt == "month":
            start = today.replace(day=1)
            if word == "last":
                start = (start - dt.timedelta(days=1)).replace(day=1)
            end = _month_end(start.year, start.month)
        elif nxt == "quarter":
            start = _quarter_start(today)
            if word == "last":
                start = _quarter_start(start - dt.timedelta(days=1))
            end = _month_end(start.year, start.month + 2)
        else:
            start = dt.date(today.year - (word == "last"), 1, 1)
            end = dt.date(start.year, 12, 31)
        p.start, p.end = start, min(end, today)
        p.period = f"{word} {nxt}"
        return 2
    if (
        word == "last"
        and nxt is not None
        and nxt.isdigit()
        and p.word(i + 2)
        in (
            "days",
            "weeks",
            "months",
        )
    ):
        count, unit = int(nxt), p.word(i + 2)
        days = count * {"days": 1, "weeks": 7, "months": 30}[unit or "days"]
        p.start, p.end = today - dt.timedelta(days=days - 1), today
        p.period = f"last {count} {unit}"
        return 3
    if word in ("since", "in") and nxt is not None:
        year = p.year_at(i + 1)
        if year is not None:
            p.start = dt.date(year, 1, 1)
            p.end = today if word == "since" else min(dt.date(year, 12, 31), today)
            p.period = f"{word} {year}"
            return 2
        if nxt in _MONTHS:
            month = _MONTHS[nxt]
            given_year = p.year_at(i + 2)
            month_year = given_year or _last_month_named(month, today)
            p.start = dt.date(month_year, month, 1)
            p.end = today if word == "since" else min(_month_end(month_year, month), today)
            p.period = f"{word} {calendar.month_name[month]} {month_year}"
            return 3 if given_year else 2
    return 0


def _hours(p: _Parse, i: int) -> int:
    """Reads an entry-hour filter at word i; the number of words it used (0: none)."""
    word, nxt = p.words[i], p.word(i + 1)
    if nxt is None or not nxt[0].isdigit() or len(nxt.split(":")[0]) > 2:
        return 0
    used = 2 + (p.word(i + 2) in ("am", "pm"))
    hour = _hour(nxt, p.word(i + 2))
    if hour is None:
        return 0
    if word == "after":
        p.hour_from = hour
    elif word == "before":
        p.hour_to = hour
    elif word == "between" and p.word(i + used) == "and" and p.word(i + used + 1):
        end_token = p.word(i + used + 1) or ""
        if not end_token[0].isdigit():
            return 0
        end = _hour(end_token, p.word(i + used + 2))
        if end is None:
            return 0
        p.hour_from, p.hour_to = hour, end
        used += 2 + (p.word(i + used + 2) in ("am", "pm"))
    else:
        return 0
    return used


def parse_question(
    text: str,
    today: dt.date,
    symbols: Collection[str] = (),
    tags: Collection[str] = (),
) -> Question:
    """The query a question asks for, reading symbols and tags the trader actually has.

    Raises NotUnderstoodError when nothing in it is understood.
    """
    originals = _TOKEN.findall(text)
    p = _Parse([token.lower() for token in originals], originals, today)
    known_symbols = {symbol.lower(): symbol for symbol in symbols if symbol}
    known_tags = {tag.lower(): tag for tag in tags if tag}
    asks_overview = False
    i = 0
    while i < len(p.words):
        word, nxt = p.words[i], p.word(i + 1)
        used = _period(p, i) or _hours(p, i)
        if used:
            p.phrases.append(" ".join(p.originals[i : i + used]))
            i += used
            continue
        pair = _PAIRS.get((word, nxt or ""))
        if pair is not None:
            p.metrics.append(pair)
            p.phrases.append(f"{word} {nxt}")
            i += 2
            continue
        if word == "how" and nxt in ("do", "did", "am", "are", "is"):
            asks_overview = True
        if word in ("worst", "best") and nxt is not None:
            target = "asset" if nxt == "asset" else nxt
            if target in _DIMENSIONS or (nxt == "day" and p.word(i + 2) == "of"):
                p.rank = "worst" if word == "worst" else "best"
                p.group_by = _DIMENSIONS.get(target, "weekday")
                p.phrases.append(f"{word} {nxt}")
                i += 2
                continue
        if word in ("by", "per", "each", "which") and nxt is not None:
            if nxt == "day" and p.word(i + 2) == "of":
                p.group_by = "weekday"
                p.phrases.append(f"{word} day of week")
                i += 4
                continue
            if nxt in _DIMENSIONS:
                p.group_by = _DIMENSIONS[nxt]
                p.phrases.append(f"{word} {nxt}")
                i += 2
                continue
        if (
            word in _WEEKDAY_WORDS
            and len(word) > 3
            or (word in _WEEKDAY_WORDS and p.word(i - 1) == "on")
        ):
            day = _WEEKDAY_WORDS[word]
            if day not in p.weekdays:
                p.weekdays.append(day)
            p.phrases.append(p.originals[i])
        elif word in known_symbols:
            p.symbols.append(known_symbols[word])
            p.phrases.append(known_symbols[word])
        elif word in known_tags:
            p.tags.append(known_tags[word])
            p.phrases.append(known_tags[word])
        elif word in _METRIC_WORDS:
            p.metrics.append(_METRIC_WORDS[word])
            p.phrases.append(p.originals[i])
        i += 1
    if not p.phrases and not asks_overview:
        raise NotUnderstoodError(
            "I did not understand that question. I understand " + "; ".join(UNDERSTOOD) + "."
        )
    group_by = p.group_by
    if group_by is None and len(p.symbols) > 1:
        group_by = "symbol"  # "NQ vs ES" compares them
    return Question(
        metrics=tuple(dict.fromkeys(p.metrics)),
        group_by=group_by,
        rank=p.rank,
        start=p.start,
        end=p.end,
        period=p.period,
        weekdays=tuple(p.weekdays),
        hour_from=p.hour_from,
        hour_to=p.hour_to,
        symbols=tuple(dict.fromkeys(p.symbols)),
        tags=tuple(dict.fromkeys(p.tags)),
        phrases=tuple(p.phrases),
    )
