"""Charles Schwab exports: the thinkorswim account statement and the Schwab transactions
(trade history) CSV. Both are the `schwab_csv` format; the content says which it is.

- **thinkorswim account statement** (Monitor → Account Statement → Export to file): only
  its `Account Trade History` section is read: `Exec Time` (local `M/D/YY HH:MM:SS`; a
  spread's later legs leave it empty and share the first leg's), `Side`, `Qty` (signed),
  `Pos Effect` (`TO OPEN`, `TO CLOSE`), `Symbol` (`/ESH24` for futures), `Exp`
  (`15 MAR 24`), `Strike`, `Type` (`STOCK`, `ETF`, `CALL`, `PUT`, `FUTURE`; options on
  futures are rejected as unknown instruments), `Price`. The
  section carries no commissions (the statement's cash section does) nor execution ids.
- **Schwab transactions** (Accounts → History → Export): `Date` (`MM/DD/YYYY`, or
  `MM/DD/YYYY as of MM/DD/YYYY`), `Action` (Buy, Sell, Sell Short, Buy to Cover, Buy/Sell
  to Open/Close; other actions are cash lines and skipped), `Symbol` (options as
  `AAPL 03/15/2024 180.00 C`), `Quantity`, `Price`, `Fees & Comm`. The export has dates
  without times and lists the newest first (see `records.TradeDates`).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Iterator
from zoneinfo import ZoneInfo

from tradeloop_contracts import ExecutionIn, Instrument, OpenClose, Side

from .generic_csv import DEFAULT_TIME_ZONE, ParsedRow, RowProblem
from .instruments import (
    UnknownInstrumentError,
    future_from_code,
    option_from_parts,
    option_from_schwab,
)
from .records import (
    BadFieldError,
    Fingerprints,
    Record,
    TradeDates,
    csv_records,
    parse_records,
    us_time,
)

STATEMENT_TITLE = "Account Statement for"
TRADE_HISTORY_SECTION = "Account Trade History"
_STATEMENT_SIDES: dict[str, Side] = {"BUY": "buy", "SELL": "sell"}
_POSITION_EFFECTS: dict[str, OpenClose] = {"TO OPEN": "open", "TO CLOSE": "close"}
_ACTIONS: dict[str, tuple[Side, OpenClose | None]] = {
    "buy": ("buy", None),
    "sell": ("sell", None),
    "sell short": ("sell", "open"),
    "buy to cover": ("buy", "close"),
    "buy to open": ("buy", "open"),
    "buy to close": ("buy", "close"),
    "sell to open": ("sell", "open"),
    "sell to close": ("sell", "close"),
}


def is_statement(head: str) -> bool:
    """Whether the first characters of a file are those of a thinkorswim account statement."""
    return head.lstrip('\ufeff \t\r\n"').startswith(STATEMENT_TITLE)


def is_trade_history_header(keys: frozenset[str]) -> bool:
    """Whether normalised column names are those of the statement's trade history section."""
    return {"exectime", "side", "qty", "symbol", "type", "price", "poseffect"} <= keys


def is_transactions_header(keys: frozenset[str]) -> bool:
    """Whether normalised column names are those of a Schwab transactions export."""
    return {"date", "action", "symbol", "quantity", "price", "feescomm"} <= keys


def parse_schwab_csv(
    lines: Iterable[str], *, time_zone: ZoneInfo = DEFAULT_TIME_ZONE
) -> Iterator[ParsedRow | RowProblem]:
    """One result per execution row of either Schwab export, in file order.

    Raises FormatNotRecognisedError when the content has neither layout's header.
    """
    source = iter(lines)
    first = next(source, "")
    rest = itertools.chain([first], source)
    if is_statement(first):
        yield from _parse_statement(rest, time_zone)
    else:
        yield from _parse_transactions(rest, time_zone)


def _parse_statement(lines: Iterable[str], time_zone: ZoneInfo) -> Iterator[ParsedRow | RowProblem]:
    fingerprints = Fingerprints()
    leg_time: list[dt.datetime] = []

    def read(record: Record) -> ParsedRow:
        # A spread's later legs leave the time empty: they share the first leg's.
        if record.get("exectime") or not leg_time:
            leg_time[:] = [us_time(record, "exectime", time_zone)]
        executed_at = leg_time[0]
        side_text = record.required("side").upper()
        side = _STATEMENT_SIDES.get(side_text)
        if side is None:
            raise BadFieldError("side", f"{record.name('side')} {side_text!r} is not BUY or SELL")
        quantity = abs(record.amount("qty"))
        if quantity == 0:
            raise BadFieldError("qty", f"{record.name('qty')} must not be zero")
        price = record.amount("price")
        instrument = _statement_instrument(record, executed_at.date())
        execution = ExecutionIn(
            fingerprint=fingerprints.of(executed_at, instrument.symbol, side, quantity, price),
            executed_at=executed_at,
            instrument=instrument,
            side=side,
            quantity=quantity,
            price=price,
            open_close=_POSITION_EFFECTS.get(record.get("poseffect").upper()),
            source_line=record.line,
        )
        return ParsedRow(record.line, execution, None)

    records = csv_records(
        lines, is_trade_history_header, description=TRADE_HISTORY_SECTION, section=True
    )
    yield from parse_records(records, read, instrument="symbol")


def _statement_instrument(record: Record, traded_on: dt.date) -> Instrument:
    symbol = record.required("symbol").upper()
    kind = record.required("type").upper()
    if kind in ("STOCK", "ETF"):
        return Instrument(asset_class="stock", symbol=symbol)
    if kind in ("CALL", "PUT") and symbol.startswith("/"):
        raise UnknownInstrumentError(f"{symbol} {kind}: options on futures are not imported")
    if kind in ("CALL", "PUT"):
        return option_from_parts(symbol, record.required("exp"), record.required("strike"), kind)
    if kind == "FUTURE":
        return future_from_code(symbol.lstrip("/"), traded_on)
    raise BadFieldError("type", f"{record.name('type')} {kind!r} is not imported")


def _parse_transactions(
    lines: Iterable[str], time_zone: ZoneInfo
) -> Iterator[ParsedRow | RowProblem]:
    fingerprints = Fingerprints()
    dates = TradeDates(time_zone)

    def read(record: Record) -> ParsedRow | None:
        action = record.get("action")
        side_effect = _ACTIONS.get(" ".join(action.lower().split()))
        if side_effect is None:
            if action.lower() in ("expired", "assigned", "exchange or exercise"):
                raise BadFieldError(
                    "action", f"{record.name('action')} {action!r} does not say which side closed"
                )
            return None  # dividends, interest, transfers: not executions
        side, open_close = side_effect
        executed_at = dates.time(record, "date")
        symbol = record.required("symbol").upper()
        instrument = (
            option_from_schwab(symbol)
            if " " in symbol
            else Instrument(asset_class="stock", symbol=symbol)
        )
        quantity = abs(record.amount("quantity"))
        if quantity == 0:
            raise BadFieldError("quantity", f"{record.name('quantity')} must not be zero")
        price = record.amount("price")
        fees = record.cost("feescomm")
        execution = ExecutionIn(
            fingerprint=fingerprints.of(
                executed_at.date(), action, instrument.symbol, quantity, price, fees
            ),
            executed_at=executed_at,
            instrument=instrument,
            side=side,
            quantity=quantity,
            price=price,
            commission=fees,
            open_close=open_close,
            source_line=record.line,
        )
        return ParsedRow(record.line, execution, None)

    records = csv_records(lines, is_transactions_header, description="Schwab transactions")
    yield from parse_records(records, read, instrument="symbol")
