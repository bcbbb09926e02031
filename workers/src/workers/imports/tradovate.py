"""Tradovate fills export (Orders → Fills → Export CSV): one futures fill per row.

Columns read: `Fill ID` (broker id), `Order ID`, `Timestamp` (local `MM/DD/YYYY
HH:MM:SS`), `B/S`, `Quantity`, `Price`, `Contract` (`ESH4`), `Account`, `commission`.
Contract specs come from the futures table.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from zoneinfo import ZoneInfo

from tradeloop_contracts import ExecutionIn

from .generic_csv import DEFAULT_TIME_ZONE, ParsedRow, RowProblem
from .instruments import future_from_code
from .records import BadFieldError, Fingerprints, Record, csv_records, local_time, parse_records

_LOCAL_TIME = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4}) (\d{1,2}):(\d{2}):(\d{2})")


def is_header(keys: frozenset[str]) -> bool:
    """Whether normalised column names are those of a Tradovate fills export."""
    return {"bs", "contract", "product", "quantity", "price"} <= keys and bool(
        keys & {"fillid", "id"}
    )


def parse_tradovate_csv(
    lines: Iterable[str], *, time_zone: ZoneInfo = DEFAULT_TIME_ZONE
) -> Iterator[ParsedRow | RowProblem]:
    """One result per fill row, in file order; `Timestamp` is read in `time_zone`.

    Raises FormatNotRecognisedError before yielding when no fills header is found.
    """
    fingerprints = Fingerprints()

    def read(record: Record) -> ParsedRow:
        executed_at = _time(record, time_zone)
        side_text = record.required("bs").strip().lower()
        if side_text not in ("buy", "sell", "b", "s"):
            raise BadFieldError("bs", f"{record.name('bs')} {side_text!r} is not Buy or Sell")
        side = "buy" if side_text.startswith("b") else "sell"
        quantity = abs(record.amount("quantity"))
        price = record.amount("price")
        instrument = future_from_code(record.required("contract"), executed_at.date())
        commission = record.cost("commission", "comm")
        broker_id = record.get("fillid", "id") or None
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
            source_line=record.line,
        )
        return ParsedRow(record.line, execution, record.get("account") or None)

    yield from parse_records(
        csv_records(lines, is_header, description="Tradovate fills"), read, instrument="contract"
    )


def _time(record: Record, time_zone: ZoneInfo) -> dt.datetime:
    text = record.required("timestamp")
    match = _LOCAL_TIME.fullmatch(text)
    if match is None:
        raise BadFieldError(
            "timestamp", f"{record.name('timestamp')} {text!r} is not like 03/04/2024 09:31:12"
        )
    month, day, year, *clock = match.groups()
    return local_time(record, "timestamp", (year, month, day, *clock), time_zone)
