"""Bars as the market data code handles them, their intervals, and their CSV form."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation
from typing import NamedTuple, Protocol

from tradeloop_contracts import BarInterval, Instrument

INTERVALS: dict[BarInterval, dt.timedelta] = {
    "1m": dt.timedelta(minutes=1),
    "5m": dt.timedelta(minutes=5),
    "15m": dt.timedelta(minutes=15),
    "1h": dt.timedelta(hours=1),
    "1d": dt.timedelta(days=1),
}
CSV_HEADER = ("time", "open", "high", "low", "close", "volume")


class PriceBar(NamedTuple):
    """One OHLCV bar stamped with its open time (UTC); it covers [time, time + interval)."""

    time: dt.datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal


class BarSource(Protocol):
    """Where bars come from: a provider's API, files, or the cache in front of either."""

    name: str

    async def bars(
        self,
        instrument: Instrument,
        interval: BarInterval,
        start: dt.datetime,
        end: dt.datetime,
    ) -> list[PriceBar]:
        """The complete bars opening in [start, end), oldest first; [] when the source
        has none for this instrument. Raises MarketDataError when it cannot answer."""
        ...


class MarketDataError(Exception):
    """A source of bars could not answer; the message names it and never a credential."""


class BarFileError(MarketDataError):
    """A bar file is not readable; names the file, line and column."""


def bars_to_csv(bars: Iterable[PriceBar]) -> bytes:
    """The bars as CSV with the header `time,open,high,low,close,volume` (ISO 8601 times)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for bar in bars:
        writer.writerow([bar.time.isoformat(), *(str(value) for value in bar[1:])])
    return out.getvalue().encode()


def bars_from_csv(data: bytes, name: str) -> list[PriceBar]:
    """The bars of a CSV file (header as `bars_to_csv` writes; volume may be left out),
    sorted by time. Raises BarFileError naming `name`, the line and the column."""
    reader = csv.reader(io.StringIO(data.decode("utf-8-sig")))
    header = [column.strip().lower() for column in next(reader, [])]
    missing = [column for column in CSV_HEADER[:5] if column not in header]
    if missing:
        raise BarFileError(f"{name}: line 1: the header lacks {', '.join(missing)}")
    where = {column: header.index(column) for column in CSV_HEADER if column in header}
    bars = []
    for line, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        bars.append(_bar_of(row, where, name, line))
    bars.sort(key=lambda bar: bar.time)
    return bars


def _bar_of(row: Sequence[str], where: dict[str, int], name: str, line: int) -> PriceBar:
    def cell(column: str) -> str:
        index = where.get(column)
        return row[index].strip() if index is not None and index < len(row) else ""

    try:
        time = dt.datetime.fromisoformat(cell("time"))
    except ValueError:
        raise BarFileError(f"{name}: line {line}: time {cell('time')!r} is not ISO 8601") from None
    if time.tzinfo is None:
        raise BarFileError(f"{name}: line {line}: time {cell('time')!r} has no UTC offset")
    values = []
    for column in CSV_HEADER[1:]:
        text = cell(column) or ("0" if column == "volume" else "")
        try:
            values.append(Decimal(text))
        except InvalidOperation:
            raise BarFileError(f"{name}: line {line}: {column} {text!r} is not a number") from None
    bar = PriceBar(time.astimezone(dt.UTC), *values)
    if not bar.low <= min(bar.open, bar.close) <= max(bar.open, bar.close) <= bar.high:
        raise BarFileError(f"{name}: line {line}: low/high do not contain open and close")
    return bar
