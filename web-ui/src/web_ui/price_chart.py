"""A position's price chart: its bars and fills, in the form the chart script draws."""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Sequence
from operator import attrgetter
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tradeloop_contracts import Bar, PositionBars, PositionDetail

from web_ui.rendering import number

INTERVAL_SECONDS = {"1m": 60, "5m": 300, "15m": 900, "1h": 3_600, "1d": 86_400}
# A chart a page wide shows no more candles than this: beyond it each is under three
# pixels wide on a desktop, and more only costs server time, page weight and drawing.
MAX_CANDLES = 500
# Candle spans the bars may be merged into when there are too many, shortest first, by
# the name the chart's caption gives them.
CANDLE_SPANS = {
    60: "1 minute",
    120: "2 minutes",
    300: "5 minutes",
    900: "15 minutes",
    1_800: "30 minutes",
    3_600: "1 hour",
    7_200: "2 hours",
    14_400: "4 hours",
    86_400: "1 day",
    604_800: "1 week",
}
# Weeks start on Monday: the epoch was a Thursday, so Monday-aligned weeks start 4 days in.
_WEEK_ORIGIN = 4 * 86_400
# Every zone changes its offset on a quarter hour of UTC, so one lookup per quarter hour
# gives every bar in it the same offset.
_OFFSET_STEP = 900


def _zone(time_zone: str) -> dt.tzinfo:
    try:
        return ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def chart_time(moment: dt.datetime, zone: dt.tzinfo) -> int:
    """Seconds since the epoch, shifted by the zone's offset at that moment.

    The chart labels its axis in UTC; shifting each time by the trader's offset makes the
    labels read as the trader's wall clock (across DST too)."""
    offset = moment.astimezone(zone).utcoffset() or dt.timedelta()
    return int(moment.timestamp()) + int(offset.total_seconds())


def _wall_clock(bars: Sequence[Bar], zone: dt.tzinfo) -> list[int]:
    """`chart_time` of each bar's open, looking the zone's offset up once per quarter hour."""
    offsets: dict[int, int] = {}
    times = []
    for bar in bars:
        seconds = int(bar.time.timestamp())
        step = seconds // _OFFSET_STEP
        if step not in offsets:
            offsets[step] = chart_time(bar.time, zone) - seconds
        times.append(seconds + offsets[step])
    return times


def _candle_starts(times: Sequence[int], span: int) -> list[int]:
    """The start of the `span`-second candle each time falls in (weeks from Monday)."""
    origin = _WEEK_ORIGIN if span == 604_800 else 0
    return [(time - origin) // span * span + origin for time in times]


def candle_seconds(interval_seconds: int, times: Sequence[int]) -> int:
    """The shortest candle span, a whole number of bars long, that draws bars opening at
    `times` (wall clock) in at most MAX_CANDLES candles; weekly candles when none does."""
    spans = [s for s in CANDLE_SPANS if s >= interval_seconds and s % interval_seconds == 0]
    for span in spans:
        if len(set(_candle_starts(times, span))) <= MAX_CANDLES:
            return span
    return spans[-1]


def _candle(time: int, bars: Sequence[Bar]) -> dict[str, Any]:
    return {
        "time": time,
        "open": float(bars[0].open),
        "high": float(max(bar.high for bar in bars)),
        "low": float(min(bar.low for bar in bars)),
        "close": float(bars[-1].close),
    }


def _merged(bars: Sequence[Bar], starts: Sequence[int]) -> tuple[list[dict[str, Any]], list[int]]:
    """The bars merged into one candle per run of equal `starts`, and the index of each
    bar's candle.

    The chart needs its times strictly ascending, but a wall clock repeats an hour when
    daylight saving time ends: bars whose start is not after their candle's are folded
    into it."""
    candles: list[dict[str, Any]] = []
    candle_of: list[int] = []
    first = 0
    for index in range(1, len(bars) + 1):
        if index == len(bars) or starts[index] > starts[first]:
            candle_of.extend([len(candles)] * (index - first))
            candles.append(_candle(starts[first], bars[first:index]))
            first = index
    return candles, candle_of


def price_chart(
    series: PositionBars, position: PositionDetail, time_zone: str
) -> dict[str, Any] | None:
    """The chart's data (candles, one marker per fill, lines at the worst and best prices
    while held), or None when there are no bars.

    More bars than MAX_CANDLES are merged into longer candles (the first bar's open, the
    highest high, the lowest low, the last bar's close), so a candle spans every price
    its bars reached. Each fill is marked at its price on the candle of the bar it
    happened in; a fill outside the bars' span is left off the chart (the executions
    table still lists it)."""
    if not series.bars:
        return None
    zone = _zone(time_zone)
    bars = sorted(series.bars, key=attrgetter("time"))
    opens = [bar.time for bar in bars]
    interval = INTERVAL_SECONDS[series.interval]
    span_end = opens[-1] + dt.timedelta(seconds=interval)
    # A daily bar stands for its date, which no zone's offset should move.
    times = (
        [int(bar.time.timestamp()) for bar in bars]
        if interval >= 86_400
        else _wall_clock(bars, zone)
    )
    span = candle_seconds(interval, times)
    candles, candle_of = _merged(bars, times if span == interval else _candle_starts(times, span))
    markers = []
    for fill in sorted(position.executions, key=lambda execution: execution.executed_at):
        index = bisect.bisect_right(opens, fill.executed_at) - 1
        if index < 0 or fill.executed_at >= span_end:
            continue
        bought = fill.side == "buy"
        entry = bought == (position.direction == "long")
        markers.append(
            {
                "time": candles[candle_of[index]]["time"],
                "position": "atPriceBottom" if bought else "atPriceTop",
                "price": float(fill.price),
                "shape": "arrowUp" if bought else "arrowDown",
                "color": "#0a6b2d" if bought else "#b3261e",
                "text": f"{'Entry' if entry else 'Exit'} {fill.side} {number(fill.quantity)}",
            }
        )
    lines = [
        {"price": float(price), "title": title, "color": color}
        for price, title, color in (
            (position.mae_price, "MAE", "#b3261e"),
            (position.mfe_price, "MFE", "#0a6b2d"),
        )
        if price is not None
    ]
    return {
        "symbol": series.symbol,
        "intraday": span < 86_400,
        "complete": series.complete,
        "bar_count": len(bars),
        "bar_span": CANDLE_SPANS[interval],
        "candle_span": CANDLE_SPANS[span],
        "lines": lines,
        "bars": candles,
        "markers": markers,
    }
