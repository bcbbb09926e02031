"""NinjaTrader executions export (Executions grid → Export): one futures fill per row.

Columns read: `Instrument` (`ES 03-24`), `Action` (Buy, Sell, BuyToCover, SellShort),
`Quantity`, `Price`, `Time` (local `M/D/YYYY h:mm:ss AM`), `ID` (broker id), `E/X` (Entry
or Exit), `Order ID`, `Commission`, `Account`. Contract specs come from the futures table.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from zoneinfo import ZoneInfo

from tradeloop_contracts import ExecutionIn, OpenClose, Side

from .generic_csv import DEFAULT_TIME_ZONE, ParsedRow, RowProblem
from .instruments import future_from_ninjatrader
from .records import BadFieldError, Fingerprints, Record, csv_records, local_time, parse_records

_TIME = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4}) (\d{1,2}):(\d{2}):(\d{2})(?: ?([AP]M))?", re.I)
_SIDES: dict[str, Side] = {"buy": "buy", "buytocover": "buy", "sell": "sell", "sellshort": "sell"}
_OPEN_CLOSE: dict[str, OpenClose] = {"entry": "open", "exit": "close"}


def is_header(keys: frozenset[str]) -> bool:
    """Whether normalised column names are those of a NinjaTrader executions export."""
    return {"instrument", "action", "quantity", "price", "time", "ex"} <= keys


def parse_ninjatrader_csv(
    lines: Iterable[str], *, time_zone: ZoneInfo = DEFAULT_TIME_ZONE
) -> Iterator[ParsedRow | RowProblem]:
    """One result per execution row, in file order; `Time` is read in `time_zone`.

    Raises FormatNotRecognisedError before yielding when no executions header is found.
    """
    fingerprints = Fingerprints()

    def read(record: Record) -> ParsedRow:
        executed_at = _time(record, time_zone)
        action = record.required("action")
        side = _SIDES.get(action.lower().replace(" ", ""))
        if side is None:
            raise BadFieldError("action", f"{record.name('action')} {action!r} is not Buy or Sell")
        quantity = abs(record.amount("quantity"))
        price = record.amount("price")
        instrument = future_from_ninjatrader(record.required("instrument"))
        commission = record.cost("commission")
        broker_id = record.get("id") or None
        fingerprint = None
        if broker_id is None:
            fingerprint = fingerprints.of(executed_at, instrument.symbol, side, quantity, price)
        execution = ExecutionIn(
            broker_execution_id=broker_id,
            fingerprint=fingerprint,
            executed_at=executed_at,
            instrument=instrument,
            side=side,
            quantity=quantity,
            price=price,
            commission=commission,
            order_id=record.get("orderid") or None,
            open_close=_OPEN_CLOSE.get(record.get("ex").lower()),
            source_line=record.line,
        )
        return ParsedRow(record.line, execution, record.get("account") or None)

    yield from parse_records(
        csv_records(lines, is_header, description="NinjaTrader executions"),
        read,
        instrument="instrument",
    )


def _time(record: Record, time_zone: ZoneInfo) -> dt.datetime:
    text = record.required("time")
    match = _TIME.fullmatch(text)
    if match is None:
        raise BadFieldError(
            "time", f"{record.name('time')} {text!r} is not like 3/4/2024 9:31:12 AM"
        )
    month, day, year, hour, minute, second, half = match.groups()
    clock = int(hour)
    if half is not None:
        if not 1 <= clock <= 12:
            raise BadFieldError("time", f"{record.name('time')} {text!r} has no such hour")
        clock = clock % 12 + (12 if half.upper() == "PM" else 0)
    return local_time(record, "time", (year, month, day, str(clock), minute, second), time_zone)
