"""Interactive Brokers Flex Query reports, XML and CSV: the Trades section, one execution
per `Trade` at execution level of detail.

The XML is read with the standard library's expat parser in chunks, keeping no tree, so
a report of any size parses in bounded memory. Entity declarations are refused.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from typing import TextIO
from xml.parsers import expat
from zoneinfo import ZoneInfo

from tradeloop_contracts import ExecutionIn, ExecutionKind, Instrument, OpenClose

from .generic_csv import (
    DEFAULT_TIME_ZONE,
    FormatNotRecognisedError,
    ParsedRow,
    RowProblem,
    normalise_header,
)
from .instruments import (
    FUTURES_SPECS,
    UnknownInstrumentError,
    crypto,
    forex,
    option,
)
from .records import (
    BadFieldError,
    Fingerprints,
    Record,
    csv_records,
    local_time,
    parse_record,
    parse_records,
)

XML_ROOTS = frozenset({"FlexQueryResponse", "FlexStatements", "FlexStatement"})
_CHUNK_CHARS = 1 << 16
_TIME = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})[;,T ]+(\d{2}):?(\d{2}):?(\d{2})(?:\s+[A-Z]{2,5})?")
_DATE = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})")
_KIND_OF_CODE: dict[str, ExecutionKind] = {"a": "assignment", "ex": "exercise", "ep": "expiry"}
_OPEN_CLOSE: dict[str, OpenClose] = {"o": "open", "c": "close"}
_CATEGORIES = frozenset({"STK", "CASH", "CRYPTO", "OPT", "FUT", "FOP"})


def is_flex_csv_header(keys: frozenset[str]) -> bool:
    """Whether normalised column names are those of a Flex Trades section."""
    return {"symbol", "quantity", "tradeprice"} <= keys and bool(
        keys & {"assetclass", "assetcategory"}
    )


def parse_ibkr_flex_csv(
    lines: Iterable[str], *, time_zone: ZoneInfo = DEFAULT_TIME_ZONE
) -> Iterator[ParsedRow | RowProblem]:
    """One result per execution row of a Flex CSV Trades section, in file order.

    Reads files with or without section codes (`HEADER`/`DATA` rows, section `TRNT`).
    Raises FormatNotRecognisedError before yielding when no Trades header is found.
    """
    reader = _TradeReader(time_zone)
    yield from parse_records(
        csv_records(lines, is_flex_csv_header, description="Flex Trades section"),
        reader.read,
        instrument="assetclass",
    )


def parse_ibkr_flex_xml(
    text: TextIO, *, time_zone: ZoneInfo = DEFAULT_TIME_ZONE
) -> Iterator[ParsedRow | RowProblem]:
    """One result per execution `Trade` element of a Flex XML report, in file order.

    Raises FormatNotRecognisedError before yielding when the content is not XML with a
    Flex root element. A file cut short or malformed later ends with a RowProblem at the
    line where reading stopped.
    """
    reader = _TradeReader(time_zone)
    parser = expat.ParserCreate()
    pending: list[Record] = []
    root: list[str] = []

    def start(name: str, attributes: dict[str, str]) -> None:
        if not root:
            root.append(name)
            if name not in XML_ROOTS:
                raise FormatNotRecognisedError(f"the XML root is {name!r}, not a Flex report")
        elif name == "Trade":
            keys = {normalise_header(key): key for key in attributes}
            values = {key: attributes[name] for key, name in keys.items()}
            pending.append(Record(parser.CurrentLineNumber, values, keys))

    def refuse_entities(name: str, *_: object) -> None:
        raise FormatNotRecognisedError(f"the XML declares entity {name!r}; Flex reports do not")

    parser.StartElementHandler = start
    parser.EntityDeclHandler = refuse_entities
    final = False
    while not final:
        chunk = text.read(_CHUNK_CHARS)
        final = not chunk
        broken: RowProblem | None = None
        try:
            parser.Parse(chunk, final)
        except expat.ExpatError as error:
            if not root:
                raise FormatNotRecognisedError(f"not XML: {error}") from None
            reason = f"the XML is malformed or cut short here: {expat.errors.messages[error.code]}"
            broken = RowProblem(error.lineno, None, reason)
            final = True
        for record in pending:
            result = parse_record(record, reader.read, instrument="assetcategory")
            if result is not None:
                yield result
        pending.clear()
        if broken is not None:
            yield broken
    if not root:
        raise FormatNotRecognisedError("the content is not XML")


class _TradeReader:
    def __init__(self, time_zone: ZoneInfo) -> None:
        self._time_zone = time_zone
        self._fingerprints = Fingerprints()

    def read(self, record: Record) -> ParsedRow | None:
        # Section-coded CSV: only DATA rows of the Trades section (TRNT) are executions.
        descriptor = record.get("header")
        if descriptor and (descriptor != "DATA" or record.get("trnt") != "TRNT"):
            return None
        detail = record.get("levelofdetail").upper()
        if detail and detail != "EXECUTION":
            return None
        buy_sell = record.get("buysell").upper()
        if "(CA.)" in buy_sell:
            raise BadFieldError("buysell", "a cancellation of an earlier trade is not imported")
        quantity = record.amount("quantity")
        if quantity == 0:
            raise BadFieldError("quantity", f"{record.name('quantity')} must not be zero")
        if buy_sell.startswith(("BUY", "SELL")):
            side = "buy" if buy_sell.startswith("BUY") else "sell"
        else:
            side = "sell" if quantity < 0 else "buy"
        price = record.amount("tradeprice")
        if price < 0:
            raise BadFieldError("tradeprice", f"{record.name('tradeprice')} is negative")
        executed_at = self._time(record)
        instrument = self._instrument(record)
        commission = record.cost("ibcommission", "commission")
        fees = record.cost("taxes")
        fx_rate = record.amount("fxratetobase", default="0") or None
        codes = {code.strip().lower() for code in record.get("notes", "notescodes").split(";")}
        kind = next((_KIND_OF_CODE[code] for code in codes if code in _KIND_OF_CODE), "trade")
        broker_id = record.get("ibexecid", "tradeid") or None
        fingerprint = None
        if broker_id is None:
            fingerprint = self._fingerprints.of(
                executed_at, instrument.symbol, side, abs(quantity), price, commission, fees
            )
        execution = ExecutionIn(
            broker_execution_id=broker_id,
            fingerprint=fingerprint,
            executed_at=executed_at,
            instrument=instrument,
            side=side,
            quantity=abs(quantity),
            price=price,
            commission=commission,
            fees=fees,
            fx_rate_to_base=fx_rate,
            order_id=record.get("iborderid", "orderid") or None,
            open_close=_OPEN_CLOSE.get(record.get("opencloseindicator").lower()),
            kind=kind,
            source_line=record.line,
        )
        account = record.get("accountid", "clientaccountid") or None
        return ParsedRow(record.line, execution, account)

    def _time(self, record: Record) -> dt.datetime:
        text = record.required("datetime")
        match = _TIME.fullmatch(text)
        if match is None:
            raise BadFieldError(
                "datetime", f"{record.name('datetime')} {text!r} is not like 20240304;093112"
            )
        return local_time(record, "datetime", match.groups(), self._time_zone)

    def _instrument(self, record: Record) -> Instrument:
        category = record.required("assetcategory", "assetclass").upper()
        if category not in _CATEGORIES:
            raise UnknownInstrumentError(f"asset category {category!r} is not imported")
        currency = record.get("currency", "currencyprimary").upper() or "USD"
        symbol = record.required("symbol")
        multiplier = record.amount("multiplier", default="1")
        if category == "STK":
            return Instrument(asset_class="stock", symbol=symbol.upper(), currency=currency)
        if category == "CASH":
            return forex(symbol).model_copy(update={"currency": currency})
        if category == "CRYPTO":
            return crypto(symbol, currency)
        underlying = record.required("underlyingsymbol").upper()
        expiry = self._expiry(record)
        if category == "OPT":
            strike = record.amount("strike")
            return option(
                underlying,
                expiry,
                strike,
                record.required("putcall"),
                multiplier=multiplier,
                currency=currency,
            )
        if category == "FUT":
            spec = FUTURES_SPECS.get(underlying)
            return Instrument(
                asset_class="future",
                symbol=symbol.upper().replace(" ", ""),
                currency=currency,
                multiplier=multiplier,
                root=underlying,
                expiry=expiry,
                exchange=record.get("exchange") or (spec.exchange if spec else None),
                tick_size=spec.tick_size if spec else None,
            )
        # FOP, the last category left.
        right = record.required("putcall").upper()[:1]
        return Instrument(
            asset_class="future_option",
            symbol=symbol.upper(),
            currency=currency,
            multiplier=multiplier,
            underlying=underlying,
            expiry=expiry,
            strike=record.amount("strike"),
            right="call" if right == "C" else "put",
        )

    def _expiry(self, record: Record) -> dt.date:
        text = record.required("expiry")
        match = _DATE.fullmatch(text)
        try:
            if match is None:
                raise ValueError
            return dt.date(*(int(part) for part in match.groups()))
        except ValueError:
            raise BadFieldError(
                "expiry", f"{record.name('expiry')} {text!r} is not a date like 20240315"
            ) from None
