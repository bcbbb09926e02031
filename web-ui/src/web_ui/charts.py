"""Inline SVG charts drawn on the server: the equity curve, the calendar of daily P&L and the
small charts of the coach's answers."""

from __future__ import annotations

import calendar as cal
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from tradeloop_contracts import ChartSpec, DailyPnl, EquityPoint

WIDTH = 720
HEIGHT = 220
PAD = 8
# Months drawn in the heatmap at most; a longer period shows its latest months.
MAX_MONTHS = 12


@dataclass(frozen=True)
class EquityChart:
    """A polyline of cumulative net P&L scaled into the chart's box."""

    path: str
    zero_y: float
    low: Decimal
    high: Decimal
    first_day: dt.date
    last_day: dt.date
    final: Decimal
    width: int = WIDTH
    height: int = HEIGHT


def equity_chart(points: Sequence[EquityPoint]) -> EquityChart | None:
    """The equity curve of `points` (in day order), or None when there is nothing to draw."""
    if not points:
        return None
    values = [point.cumulative_net_pnl for point in points]
    # The zero line is always in view, so gains and losses read against it.
    low, high = min(*values, Decimal(0)), max(*values, Decimal(0))
    span = high - low or Decimal(1)
    inner_w, inner_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD
    step = inner_w / max(len(points) - 1, 1)

    def y_of(value: Decimal) -> float:
        return round(PAD + float((high - value) / span) * inner_h, 1)

    coordinates = [
        f"{round(PAD + index * step, 1)},{y_of(value)}" for index, value in enumerate(values)
    ]
    if len(coordinates) == 1:
        coordinates.append(f"{WIDTH - PAD},{y_of(values[0])}")
    return EquityChart(
        path="M" + " L".join(coordinates),
        zero_y=y_of(Decimal(0)),
        low=low,
        high=high,
        first_day=points[0].day,
        last_day=points[-1].day,
        final=values[-1],
    )


@dataclass(frozen=True)
class DayCell:
    """One day of a month grid; `pnl` is None on days without closed positions."""

    day: dt.date
    x: int
    y: int
    pnl: Decimal | None
    trades: int
    level: str


@dataclass(frozen=True)
class MonthGrid:
    """A month of days laid out Monday-first, one row per week."""

    first: dt.date
    cells: list[DayCell]
    height: int
    net: Decimal
    trades: int


CELL = 22
GAP = 3


def _level(pnl: Decimal | None, largest: Decimal) -> str:
    # Four shades each way, relative to the largest absolute day in view.
    if pnl is None:
        return "none"
    if pnl == 0 or largest == 0:
        return "flat"
    shade = min(4, int(abs(pnl) / largest * 4) + 1)
    return f"{'gain' if pnl > 0 else 'loss'}-{shade}"


def month_grid(
    month: dt.date, by_day: dict[dt.date, DailyPnl], largest: Decimal | None = None
) -> MonthGrid:
    """The grid of `month` (any day in it), shaded by the daily P&L in `by_day`."""
    first = month.replace(day=1)
    days_in_month = cal.monthrange(first.year, first.month)[1]
    in_month = [first + dt.timedelta(days=offset) for offset in range(days_in_month)]
    if largest is None:
        largest = max((abs(by_day[d].net_pnl) for d in in_month if d in by_day), default=Decimal(0))
    cells: list[DayCell] = []
    for day in in_month:
        week = (day.day - 1 + first.weekday()) // 7
        entry = by_day.get(day)
        pnl = entry.net_pnl if entry else None
        cells.append(
            DayCell(
                day=day,
                x=day.weekday() * (CELL + GAP),
                y=week * (CELL + GAP),
                pnl=pnl,
                trades=entry.trades if entry else 0,
                level=_level(pnl, largest),
            )
        )
    weeks = cells[-1].y // (CELL + GAP) + 1
    return MonthGrid(
        first=first,
        cells=cells,
        height=weeks * (CELL + GAP),
        net=sum((c.pnl for c in cells if c.pnl is not None), Decimal(0)),
        trades=sum(c.trades for c in cells),
    )


def heatmap(days: Sequence[DailyPnl]) -> list[MonthGrid]:
    """The months from the first to the last day in `days` (the latest MAX_MONTHS at most),
    shaded on one scale, so a colour means the same amount in every month."""
    if not days:
        return []
    by_day = {entry.day: entry for entry in days}
    last = max(by_day).replace(day=1)
    first = min(by_day).replace(day=1)
    months: list[dt.date] = []
    current = last
    while current >= first and len(months) < MAX_MONTHS:
        months.append(current)
        current = (current - dt.timedelta(days=1)).replace(day=1)
    months.reverse()
    start = months[0]
    largest = max((abs(entry.net_pnl) for entry in days if entry.day >= start), default=Decimal(0))
    return [month_grid(month, by_day, largest) for month in months]


def shift_month(month: dt.date, months: int) -> dt.date:
    """The first day of the month `months` after (or before, when negative) `month`."""
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


CELL_SIZE = CELL
GRID_WIDTH = 7 * (CELL + GAP)


CHAT_WIDTH = 480
CHAT_HEIGHT = 160


@dataclass(frozen=True)
class ChatBar:
    x: float
    y: float
    width: float
    height: float
    sign: str


@dataclass(frozen=True)
class ChatChart:
    """A coach answer's small chart: bars or lines per series, scaled with zero in view."""

    kind: str
    bars: list[ChatBar]
    paths: list[str]
    zero_y: float
    low: Decimal
    high: Decimal
    width: int = CHAT_WIDTH
    height: int = CHAT_HEIGHT


def chat_chart(spec: ChartSpec) -> ChatChart | None:
    """The geometry of a chart the coach suggested, or None when it has no points."""
    series = [s for s in spec.series if s.points]
    if not series:
        return None
    values = [point.y for s in series for point in s.points]
    low, high = min(*values, Decimal(0)), max(*values, Decimal(0))
    span = high - low or Decimal(1)
    inner_w, inner_h = CHAT_WIDTH - 2 * PAD, CHAT_HEIGHT - 2 * PAD
    slots = max(len(s.points) for s in series)

    def y_of(value: Decimal) -> float:
        return round(PAD + float((high - value) / span) * inner_h, 1)

    zero_y = y_of(Decimal(0))
    bars: list[ChatBar] = []
    paths: list[str] = []
    if spec.kind == "bar":
        slot = inner_w / slots
        width = slot * 0.8 / len(series)
        for number, one in enumerate(series):
            for index, point in enumerate(one.points):
                top = min(y_of(point.y), zero_y)
                x = round(PAD + index * slot + slot * 0.1 + number * width, 1)
                height = round(abs(y_of(point.y) - zero_y), 1)
                sign = "gain" if point.y > 0 else "loss" if point.y < 0 else "flat"
                bars.append(ChatBar(x, top, round(width, 1), height, sign))
    else:
        step = inner_w / max(slots - 1, 1)
        for one in series:
            coordinates = [
                f"{round(PAD + index * step, 1)},{y_of(point.y)}"
                for index, point in enumerate(one.points)
            ]
            paths.append("M" + " L".join(coordinates))
    return ChatChart(spec.kind, bars, paths, zero_y, low, high)
