"""Robinhood account activity report (Account → Reports and statements → Reports → CSV):
one activity per row, newest first; trades are executions, cash lines are skipped.

Columns read: `Activity Date` (`M/D/YYYY`, no time of day: see `records.TradeDates`),
`Instrument`, `Description` (options as `AAPL 3/15/2024 Call $180.00`), `Trans Code`
(`Buy`, `Sell`, `BTO`, `STC`, `STO`, `BTC`, `OEXP`; other codes are skipped), `Quantity`
(an `S` suffix on an expiry marks a short position), `Price`, `Amount` (the net cash:
the difference from quantity × price is the regulatory fees).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal
from zoneinfo import ZoneInfo

from tradeloop_contracts import ExecutionIn, ExecutionKind, Instrument, OpenClose, Side

from .generic_csv import DEFAULT_TIME_ZONE, ParsedRow, RowProblem
from .instruments import option_from_robinhood
from .records import (
    BadFieldError,
    Fingerprints,
    Record,
    TradeDates,
    csv_records,
    parse_records,
)

_CODES: dict[str, tuple[Side, OpenClose | None]] = {
    "BUY": ("buy", None),
    "SELL": ("sell", None),
    "BTO": ("buy", "open"),
    "STC": ("sell", "close"),
    "STO": ("sell", "open"),
    "BTC": ("buy", "close"),
}
_OPTION_CODES = frozenset({"BTO", "STC", "STO", "BTC", "OEXP"})


def is_header(keys: frozenset[str]) -> bool:
    """Whether normalised column names are those of a Robinhood activity report."""
    return {"activitydate", "instrument", "transcode", "quantity", "price", "amount"} <= keys


def parse_robinhood_csv(
    lines: Iterable[str], *, time_zone: ZoneInfo = DEFAULT_TIME_ZONE
) -> Iterator[ParsedRow | RowProblem]:
    """One result per trade or option expiry row, in file order.

    Raises FormatNotRecognisedError before yielding when no report header is found.
    """
    fingerprints = Fingerprints()
    dates = TradeDates(time_zone)

    def read(record: Record) -> ParsedRow | None:
        code = record.get("transcode").upper()
        if code not in _CODES and code != "OEXP":
            return None  # dividends, interest, transfers: not executions
        executed_at = dates.time(record, "activitydate")
        instrument = (
            option_from_robinhood(record.required("description"))
            if code in _OPTION_CODES
            else Instrument(asset_class="stock", symbol=record.required("instrument").upper())
        )
        quantity_text = record.required("quantity").upper()
        short = quantity_text.endswith("S")
        kind: ExecutionKind = "trade"
        side: Side
        open_close: OpenClose | None
        if code == "OEXP":
            # An expiry closes the position at 0: a short one is bought back, a long one sold.
            side, open_close, kind = ("buy" if short else "sell"), "close", "expiry"
        else:
            side, open_close = _CODES[code]
        quantity = abs(_quantity(record, quantity_text.rstrip("S")))
        price = Decimal(0) if kind == "expiry" else record.amount("price")
        fees = _fees(record, side, quantity * price * instrument.multiplier)
        execution = ExecutionIn(
            fingerprint=fingerprints.of(
                executed_at.date(), code, instrument.symbol, quantity, price, fees
            ),
            executed_at=executed_at,
            instrument=instrument,
            side=side,
            quantity=quantity,
            price=price,
            fees=fees,
            open_close=open_close,
            kind=kind,
            source_line=record.line,
        )
        return ParsedRow(record.line, execution, None)

    yield from parse_records(
        csv_records(lines, is_header, description="Robinhood activity"),
        read,
        instrument="description",
    )


def _quantity(record: Record, text: str) -> Decimal:
    quantity = Record(record.line, {"quantity": text}, record.names).amount("quantity")
    if quantity == 0:
        raise BadFieldError("quantity", f"{record.name('quantity')} must not be zero")
    return quantity


def _fees(record: Record, side: Side, gross: Decimal) -> Decimal:
    # Amount is the net cash of the row: paid on a buy (gross + fees), received on a sell
    # (gross - fees). Whatever it leaves beyond the gross is the fees.
    if not record.get("amount"):
        return Decimal(0)
    net = abs(record.amount("amount"))
    return max(Decimal(0), net - gross if side == "buy" else gross - net)
