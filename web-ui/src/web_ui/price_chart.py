"""A position's price chart: its bars and fills, in the form the chart script draws."""

from __future__ import annotations

import bisect
import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tradeloop_contracts import BarSeries, PositionBars, PositionDetail

from web_ui.rendering import number

INTERVAL_SECONDS = {"1m": 60, "5m": 300, "15m": 900, "1h": 3_600, "1d": 86_400}


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


def price_chart(
    series: BarSeries, position: PositionDetail, time_zone: str
) -> dict[str, Any] | None:
    """The chart's data (candles, one marker per fill, lines at the worst and best prices
    while held), or None when there are no bars.

    Each fill is marked at its price on the bar it happened in; a fill outside the bars'
    span is left off the chart (the executions table still lists it)."""
    if not series.bars:
        return None
    zone = _zone(time_zone)
    bars = sorted(series.bars, key=lambda bar: bar.time)
    opens = [bar.time for bar in bars]
    span_end = opens[-1] + dt.timedelta(seconds=INTERVAL_SECONDS[series.interval])
    markers = []
    for fill in sorted(position.executions, key=lambda execution: execution.executed_at):
        index = bisect.bisect_right(opens, fill.executed_at) - 1
        if index < 0 or fill.executed_at >= span_end:
            continue
        bought = fill.side == "buy"
        entry = bought == (position.direction == "long")
        markers.append(
            {
                "time": chart_time(opens[index], zone),
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
        "intraday": series.interval != "1d",
        # Only a position's own bars say whether they cover its whole holding.
        "complete": series.complete if isinstance(series, PositionBars) else None,
        "lines": lines,
        "bars": [
            {
                "time": chart_time(bar.time, zone),
                "open": float(bar.open),
                "high": float(bar.high),
                "low": float(bar.low),
                "close": float(bar.close),
            }
            for bar in bars
        ],
        "markers": markers,
    }
