"""Market data: bars for charts and excursions."""

from __future__ import annotations

from typing import Literal

from ._base import Amount, ResponseBody, Timestamp

BarInterval = Literal["1m", "5m", "15m", "1h", "1d"]


class Bar(ResponseBody):
    """One OHLCV bar, stamped with its open time."""

    time: Timestamp
    open: Amount
    high: Amount
    low: Amount
    close: Amount
    volume: Amount


class BarSeries(ResponseBody):
    """Complete bars of one symbol at one interval, oldest first."""

    symbol: str
    interval: BarInterval
    bars: list[Bar]
