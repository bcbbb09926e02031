"""MAE and MFE of a position from its fills and the complete bars while it was held.

Open equity at price p = the fills' cash flows so far + open quantity x p x multiplier,
gross of fees (so realised partials count, whatever the lot matching method). It is known
exactly at each fill (at the fill's price) and, between two fills, bounded by the low and
high of each bar that lies wholly between them (the quantity is constant there). A bar
holding a fill is not used: it cannot tell whether its extreme came before or after the
fill. MAE is the lowest such equity (at most 0: equity is 0 at the entry), MFE the highest
(at least 0); the prices are the worst and best prices seen while held. Unknown (None)
when the bars do not reach from the entry to the exit.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from .bars import PriceBar


@dataclass(frozen=True)
class Fill:
    """One execution of the position."""

    time: dt.datetime
    side: Literal["buy", "sell"]
    quantity: Decimal
    price: Decimal


@dataclass(frozen=True)
class Excursions:
    """Worst and best open equity (in the instrument's currency) and prices while held."""

    mae: Decimal
    mfe: Decimal
    mae_price: Decimal
    mfe_price: Decimal


def covers(
    bars: Sequence[PriceBar], interval: dt.timedelta, start: dt.datetime, end: dt.datetime
) -> bool:
    """True when the bars reach from the bar holding `start` to the bar holding `end`."""
    return bool(bars) and bars[0].time <= start and bars[-1].time + interval > end


def excursions(
    fills: Sequence[Fill],
    bars: Sequence[PriceBar],
    interval: dt.timedelta,
    multiplier: Decimal,
) -> Excursions | None:
    """The excursions of a position whose fills (oldest first) take it from flat to flat.

    `bars` are oldest first. None when there are no fills or the bars do not cover them.
    """
    if not fills or not covers(bars, interval, fills[0].time, fills[-1].time):
        return None
    long = fills[0].side == "buy"
    times = [bar.time for bar in bars]
    cash = Decimal(0)
    quantity = Decimal(0)
    low_equity = high_equity = Decimal(0)
    worst = best = fills[0].price
    for index, fill in enumerate(fills):
        signed = fill.quantity if fill.side == "buy" else -fill.quantity
        cash -= signed * fill.price * multiplier
        quantity += signed
        equity = cash + quantity * fill.price * multiplier
        low_equity, high_equity = min(low_equity, equity), max(high_equity, equity)
        worst, best = _worse(worst, fill.price, long), _better(best, fill.price, long)
        if index + 1 == len(fills) or quantity == 0:
            continue
        # Bars wholly between this fill and the next: the quantity held is constant.
        first = bisect.bisect_left(times, fill.time)
        until = fills[index + 1].time - interval
        held = bars[first : bisect.bisect_right(times, until)]
        if not held:
            continue
        # Equity is linear in the price while the quantity is constant: the lowest low
        # and the highest high of the segment bound it.
        low = min(bar.low for bar in held)
        high = max(bar.high for bar in held)
        at_low = cash + quantity * low * multiplier
        at_high = cash + quantity * high * multiplier
        low_equity = min(low_equity, at_low, at_high)
        high_equity = max(high_equity, at_low, at_high)
        worst = _worse(worst, low if long else high, long)
        best = _better(best, high if long else low, long)
    return Excursions(low_equity, high_equity, worst, best)


def _worse(current: Decimal, price: Decimal, long: bool) -> Decimal:
    return min(current, price) if long else max(current, price)


def _better(current: Decimal, price: Decimal, long: bool) -> Decimal:
    return max(current, price) if long else min(current, price)
