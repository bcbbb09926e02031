"""Alpaca account activities exported as CSV (activity type `FILL`): one fill per row, in
the field names of Alpaca's account activities API.

Columns read: `activity_type` (rows other than `FILL` are skipped), `id` (broker id),
`transaction_time` (ISO 8601 with offset), `side` (`buy`, `sell`, `sell_short`), `qty`,
`price`, `symbol` (options as OCC symbols, crypto as `BTC/USD`), `order_id`. Alpaca charges
no commission on these fills.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from zoneinfo import ZoneInfo

from tradeloop_contracts import ExecutionIn, Instrument, OpenClose, Side

from .generic_csv import DEFAULT_TIME_ZONE, ParsedRow, RowProblem, UnusableTimeError, parse_time
from .instruments import crypto, is_occ_symbol, occ_option
from .records import BadFieldError, Fingerprints, Record, csv_records, parse_records

_SIDES: dict[str, tuple[Side, OpenClose | None]] = {
    "buy": ("buy", None),
    "sell": ("sell", None),
    "sell_short": ("sell", "open"),
}


def is_header(keys: frozenset[str]) -> bool:
    """Whether normalised column names are those of Alpaca's activities export."""
    return {"activitytype", "transactiontime", "symbol", "side", "qty", "price"} <= keys


def parse_alpaca_csv(
    lines: Iterable[str], *, time_zone: ZoneInfo = DEFAULT_TIME_ZONE
) -> Iterator[ParsedRow | RowProblem]:
    """One result per FILL row, in file order; times without an offset are in `time_zone`.

    Raises FormatNotRecognisedError before yielding when no activities header is found.
    """
    fingerprints = Fingerprints()

    def read(record: Record) -> ParsedRow | None:
        if record.get("activitytype").upper() != "FILL":
            return None
        text = record.required("transactiontime")
        try:
            executed_at = parse_time(text, time_zone)
        except UnusableTimeError as error:
            raise BadFieldError(
                "transactiontime", f"{record.name('transactiontime')} {text!r} {error}"
            ) from None
        except (ValueError, OverflowError):
            raise BadFieldError(
                "transactiontime", f"{record.name('transactiontime')} {text!r} is not ISO 8601"
            ) from None
        side_text = record.required("side").lower()
        if side_text not in _SIDES:
            raise BadFieldError("side", f"{record.name('side')} {side_text!r} is not buy or sell")
        side, open_close = _SIDES[side_text]
        quantity = abs(record.amount("qty"))
        if quantity == 0:
            raise BadFieldError("qty", f"{record.name('qty')} must not be zero")
        price = record.amount("price")
        instrument = _instrument(record.required("symbol").upper())
        broker_id = record.get("id") or None
        execution = ExecutionIn(
            broker_execution_id=broker_id,
            fingerprint=None
            if broker_id
            else fingerprints.of(executed_at, instrument.symbol, side, quantity, price),
            executed_at=executed_at,
            instrument=instrument,
            side=side,
            quantity=quantity,
            price=price,
            order_id=record.get("orderid") or None,
            open_close=open_close,
            source_line=record.line,
        )
        return ParsedRow(record.line, execution, None)

    yield from parse_records(
        csv_records(lines, is_header, description="Alpaca activities"), read, instrument="symbol"
    )


def _instrument(symbol: str) -> Instrument:
    if is_occ_symbol(symbol):
        return occ_option(symbol)
    if "/" in symbol:
        base, _, quote = symbol.partition("/")
        return crypto(base, quote)
    return Instrument(asset_class="stock", symbol=symbol)
