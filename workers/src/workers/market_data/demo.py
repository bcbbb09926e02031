"""Bars for the demo account, generated so that every demo fill lies inside its bar.

For each symbol and trading day with fills, a seeded random walk of one-minute closes is
pinned to each fill's price at the minute of the fill (a Brownian bridge between fills),
wicks are added, and every bar's low and high are widened to hold the fills of its minute.
The same fills always give the same bars.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from zoneinfo import ZoneInfo

import obstore
from obstore.store import ObjectStore
from tradeloop_contracts import Execution, PositionDetail

from .bars import PriceBar, bars_to_csv
from .sources import file_key

NEW_YORK = ZoneInfo("America/New_York")
SESSION = (dt.time(9, 30), dt.time(16, 0))
PADDING = dt.timedelta(minutes=45)
MINUTE = dt.timedelta(minutes=1)
VOLATILITY_PER_MINUTE = 0.0006


def demo_bars(executions: Iterable[Execution]) -> dict[str, list[PriceBar]]:
    """One-minute bars per symbol covering the New York session of every day with fills."""
    by_day: dict[tuple[str, dt.date], list[Execution]] = defaultdict(list)
    ticks: dict[str, Decimal] = {}
    for execution in executions:
        symbol = execution.instrument.symbol
        by_day[(symbol, execution.executed_at.astimezone(NEW_YORK).date())].append(execution)
        ticks[symbol] = execution.instrument.tick_size or Decimal("0.01")
    bars: dict[str, list[PriceBar]] = defaultdict(list)
    for (symbol, day), fills in sorted(by_day.items()):
        bars[symbol] += _day_bars(symbol, day, fills, ticks[symbol])
    return dict(bars)


async def write_demo_bars(store: ObjectStore, positions: Sequence[PositionDetail]) -> int:
    """Generate the bars of the positions' fills into the file source; the number of bars."""
    generated = demo_bars(execution for position in positions for execution in position.executions)
    for symbol, bars in generated.items():
        await obstore.put_async(store, file_key(symbol, "1m"), bars_to_csv(bars))
    return sum(len(bars) for bars in generated.values())


def _day_bars(
    symbol: str, day: dt.date, fills: Sequence[Execution], tick: Decimal
) -> list[PriceBar]:
    rng = random.Random(f"{symbol}|{day.isoformat()}")
    times = sorted(fill.executed_at for fill in fills)
    start = min(dt.datetime.combine(day, SESSION[0], NEW_YORK), times[0] - PADDING)
    end = max(dt.datetime.combine(day, SESSION[1], NEW_YORK), times[-1] + PADDING)
    start = start.astimezone(dt.UTC).replace(second=0, microsecond=0)
    minutes = math.ceil((end - start) / MINUTE)
    in_minute: dict[int, list[Decimal]] = defaultdict(list)
    for fill in sorted(fills, key=lambda fill: fill.executed_at):
        in_minute[(fill.executed_at - start) // MINUTE].append(fill.price)
    anchors = {minute: float(prices[0]) for minute, prices in in_minute.items()}
    path = _pinned_walk(rng, minutes + 1, anchors)
    bars = []
    for minute in range(minutes):
        opening, closing = path[minute], path[minute + 1]
        wick = abs(rng.gauss(0, VOLATILITY_PER_MINUTE / 2)) * opening
        high = max(opening, closing) + wick
        low = max(min(opening, closing) - wick, float(tick))
        fill_prices = in_minute.get(minute, [])
        bars.append(
            PriceBar(
                start + minute * MINUTE,
                _on_tick(opening, tick),
                max([_on_tick(high, tick), *fill_prices]),
                min([_on_tick(low, tick), *fill_prices]),
                _on_tick(closing, tick),
                Decimal(rng.randint(1, 50) * 100),
            )
        )
    return bars


def _pinned_walk(rng: random.Random, points: int, anchors: dict[int, float]) -> list[float]:
    """A random walk of `points` values that equals anchors[k] at each anchored index k."""
    pinned = sorted(anchors)
    level = anchors[pinned[0]]
    step = level * VOLATILITY_PER_MINUTE
    path = [0.0] * points
    path[pinned[0]] = level
    for k in range(pinned[0] - 1, -1, -1):
        path[k] = max(path[k + 1] + rng.gauss(0, step), step)
    for left, right in zip(pinned, pinned[1:], strict=False):
        walk = [0.0]
        for _ in range(right - left):
            walk.append(walk[-1] + rng.gauss(0, step))
        span = right - left
        for offset in range(1, span + 1):
            share = offset / span
            drift = anchors[left] + (anchors[right] - anchors[left]) * share
            path[left + offset] = max(drift + walk[offset] - share * walk[-1], step)
    for k in range(pinned[-1] + 1, points):
        path[k] = max(path[k - 1] + rng.gauss(0, step), step)
    return path


def _on_tick(price: float, tick: Decimal) -> Decimal:
    return Decimal(round(price / float(tick))) * tick
