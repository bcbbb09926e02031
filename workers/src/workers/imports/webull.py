"""Webull orders export (Orders → Order History → Export, stocks or options): one row per
order; filled orders are executions.

Columns read: `Symbol` (options as OCC symbols, `AAPL240315C00180000`), `Side` (Buy, Sell,
Short), `Status` (only `Filled` and `Partially Filled` rows are executions), `Filled`
(quantity filled), `Avg Price`, `Filled Time` (`MM/DD/YYYY HH:MM:SS EST`: the zone printed
wins, else the import's zone). Webull writes no execution id nor commission.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from zoneinfo import ZoneInfo

from tradeloop_contracts import ExecutionIn, Instrument, Side

from .generic_csv import DEFAULT_TIME_ZONE, ParsedRow, RowProblem
from .instruments import is_occ_symbol, occ_option
from .records import BadFieldError, Fingerprints, Record, csv_records, parse_records, us_time

_SIDES: dict[str, Side] = {"buy": "buy", "sell": "sell", "short": "sell", "sellshort": "sell"}
_FILLED = ("filled", "partially filled", "partiallyfilled")


def is_header(keys: frozenset[str]) -> bool:
    """Whether normalised column names are those of a Webull orders export."""
    return {"symbol", "side", "status", "filled", "avgprice", "filledtime"} <= keys


def parse_webull_csv(
    lines: Iterable[str], *, time_zone: ZoneInfo = DEFAULT_TIME_ZONE
) -> Iterator[ParsedRow | RowProblem]:
    """One result per filled order row, in file order (cancelled orders are skipped).

    Raises FormatNotRecognisedError before yielding when no orders header is found.
    """
    fingerprints = Fingerprints()

    def read(record: Record) -> ParsedRow | None:
        if record.get("status").lower() not in _FILLED:
            return None
        executed_at = us_time(record, "filledtime", time_zone)
        side_text = record.required("side")
        side = _SIDES.get(side_text.lower().replace(" ", ""))
        if side is None:
            raise BadFieldError("side", f"{record.name('side')} {side_text!r} is not Buy or Sell")
        quantity = abs(record.amount("filled"))
        if quantity == 0:
            raise BadFieldError("filled", f"{record.name('filled')} must not be zero")
        price = record.amount("avgprice")
        symbol = record.required("symbol").upper()
        instrument = (
            occ_option(symbol)
            if is_occ_symbol(symbol)
            else Instrument(asset_class="stock", symbol=symbol)
        )
        execution = ExecutionIn(
            fingerprint=fingerprints.of(executed_at, instrument.symbol, side, quantity, price),
            executed_at=executed_at,
            instrument=instrument,
            side=side,
            quantity=quantity,
            price=price,
            source_line=record.line,
        )
        return ParsedRow(record.line, execution, None)

    yield from parse_records(
        csv_records(lines, is_header, description="Webull orders"), read, instrument="symbol"
    )
