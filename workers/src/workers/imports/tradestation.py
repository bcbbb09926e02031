"""TradeStation order history export, in the field names of TradeStation's order detail
(one order per row; filled orders are executions).

Columns read: `OrderID`, `AccountID`, `Symbol` (stocks `AAPL`, futures `ESH24`, options
`AAPL 240315C180`), `Type` (Buy, Sell, Buy To Cover, Sell Short, Sell to Short, Buy/Sell
to Open/Close), `ExecuteQuantity`, `FilledPriceText` (else `FilledPrice`), `Status` (`FLL`
executed in full, `FLP` and `FPR` partial fills; other statuses are skipped),
`FilledCanceled` (`M/D/YYYY h:mm:ss AM`, in UTC as TradeStation writes it),
`CommissionFee`. The order id is the broker id: an order with several fills is one row.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from zoneinfo import ZoneInfo

from tradeloop_contracts import ExecutionIn, Instrument, OpenClose, Side

from .generic_csv import DEFAULT_TIME_ZONE, ParsedRow, RowProblem
from .instruments import future_from_code, option_from_tradestation
from .records import BadFieldError, Record, csv_records, parse_records, us_time

_UTC = ZoneInfo("UTC")
_FILLED = frozenset({"FLL", "FLP", "FPR"})
_TYPES: dict[str, tuple[Side, OpenClose | None]] = {
    "buy": ("buy", None),
    "sell": ("sell", None),
    "buytocover": ("buy", "close"),
    "sellshort": ("sell", "open"),
    "selltoshort": ("sell", "open"),
    "buytoopen": ("buy", "open"),
    "buytoclose": ("buy", "close"),
    "selltoopen": ("sell", "open"),
    "selltoclose": ("sell", "close"),
}
_FUTURE = re.compile(r"[A-Z0-9]{1,3}[FGHJKMNQUVXZ]\d{2}")


def is_header(keys: frozenset[str]) -> bool:
    """Whether normalised column names are those of a TradeStation order history export."""
    return {"orderid", "symbol", "type", "executequantity", "status", "filledcanceled"} <= keys


def parse_tradestation_csv(
    lines: Iterable[str], *, time_zone: ZoneInfo = DEFAULT_TIME_ZONE
) -> Iterator[ParsedRow | RowProblem]:
    """One result per filled order row, in file order. Times are UTC whatever `time_zone`.

    Raises FormatNotRecognisedError before yielding when no order history header is found.
    """
    del time_zone  # TradeStation writes its times in UTC

    def read(record: Record) -> ParsedRow | None:
        if record.get("status").upper() not in _FILLED:
            return None
        executed_at = us_time(record, "filledcanceled", _UTC)
        type_text = record.required("type")
        side_effect = _TYPES.get(type_text.lower().replace(" ", ""))
        if side_effect is None:
            raise BadFieldError("type", f"{record.name('type')} {type_text!r} is not Buy or Sell")
        side, open_close = side_effect
        quantity = abs(record.amount("executequantity"))
        if quantity == 0:
            raise BadFieldError("executequantity", f"{record.name('executequantity')} is zero")
        price = record.amount("filledpricetext", "filledprice")
        instrument = _instrument(record.required("symbol").upper(), executed_at.date())
        execution = ExecutionIn(
            broker_execution_id=record.required("orderid"),
            executed_at=executed_at,
            instrument=instrument,
            side=side,
            quantity=quantity,
            price=price,
            commission=record.cost("commissionfee"),
            order_id=record.get("orderid"),
            open_close=open_close,
            source_line=record.line,
        )
        return ParsedRow(record.line, execution, record.get("accountid") or None)

    yield from parse_records(
        csv_records(lines, is_header, description="TradeStation order history"),
        read,
        instrument="symbol",
    )


def _instrument(symbol: str, traded_on: dt.date) -> Instrument:
    if " " in symbol.strip():
        return option_from_tradestation(symbol)
    if _FUTURE.fullmatch(symbol):
        return future_from_code(symbol, traded_on)
    return Instrument(asset_class="stock", symbol=symbol)
