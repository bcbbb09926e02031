"""OFX / QFX investment statements (v1 SGML and v2 XML), read with ofxtools.

Buys and sells of stocks, options, funds and other securities, and option closures
(exercise, assignment, expiry), from every `INVSTMTRS`; symbols come from `SECLIST`.
OFX statements are read whole (brokers write them per statement period, and the import
job refuses one over its OFX size limit); each transaction is converted on its own, so one bad
transaction is reported and the rest are imported.
"""

from __future__ import annotations

import re
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any, TextIO

from ofxtools.models.base import Aggregate, UnknownTagWarning
from ofxtools.Parser import TreeBuilder
from tradeloop_contracts import ExecutionIn, ExecutionKind, Instrument, OpenClose

from .generic_csv import FormatNotRecognisedError, ParsedRow, RowProblem
from .instruments import UnknownInstrumentError, occ_option, option

TRADES = frozenset(
    {"BUYSTOCK", "SELLSTOCK", "BUYOPT", "SELLOPT", "BUYMF", "SELLMF", "BUYOTHER", "SELLOTHER"}
)
CLOSURES = frozenset({"CLOSUREOPT"})
_FITID = re.compile(r"<FITID>\s*([^<\r\n]+)", re.IGNORECASE)
_OPEN_CLOSE: Mapping[str, OpenClose] = {
    "BUY": "open",
    "SELL": "close",
    "SELLSHORT": "open",
    "BUYTOCOVER": "close",
    "BUYTOOPEN": "open",
    "BUYTOCLOSE": "close",
    "SELLTOOPEN": "open",
    "SELLTOCLOSE": "close",
}
_KIND: Mapping[str, ExecutionKind] = {
    "EXERCISE": "exercise",
    "ASSIGN": "assignment",
    "EXPIRE": "expiry",
}


def parse_ofx(text: TextIO) -> Iterator[ParsedRow | RowProblem]:
    """One result per security trade or option closure of the statement, in file order.

    Raises FormatNotRecognisedError before yielding when the content has no OFX body or
    ofxtools cannot build its tree.
    """
    content = text.read()
    start = content.upper().find("<OFX>")
    if start < 0:
        raise FormatNotRecognisedError("no <OFX> element")
    lines = _fitid_lines(content)
    builder = TreeBuilder()
    try:
        builder.feed(content[start:])
        root: ET.Element = builder.close()
    except Exception as error:  # ofxtools raises several unrelated types for bad SGML.
        raise FormatNotRecognisedError(f"the OFX cannot be read: {error}") from None
    securities = _securities(root)
    for statement in root.iter("INVSTMTRS"):
        yield from _statement(statement, securities, lines)


def _fitid_lines(content: str) -> dict[str, int]:
    """The line of each FITID, counting line breaks once through the file."""
    lines: dict[str, int] = {}
    line, counted_to = 1, 0
    for match in _FITID.finditer(content):
        line += content.count("\n", counted_to, match.start())
        counted_to = match.start()
        lines[match.group(1).strip()] = line
    return lines


def _statement(
    statement: ET.Element, securities: Mapping[tuple[str, str], Any], lines: Mapping[str, int]
) -> Iterator[ParsedRow | RowProblem]:
    currency = (statement.findtext("CURDEF") or "USD").strip().upper()
    account = (statement.findtext("INVACCTFROM/ACCTID") or "").strip() or None
    for element in statement.iterfind("INVTRANLIST/*"):
        if element.tag not in TRADES | CLOSURES:
            continue
        fitid = (element.findtext(".//FITID") or "").strip()
        line = lines.get(fitid, 1)
        try:
            transaction = _convert(element)
            execution = _execution(element.tag, transaction, securities, currency, line)
        except UnknownInstrumentError as error:
            yield RowProblem(line, element.tag, f"unknown instrument: {error}")
        except Exception as error:  # ofxtools and pydantic: the transaction is invalid.
            yield RowProblem(line, element.tag, f"{element.tag} is not valid: {error}")
        else:
            yield ParsedRow(line, execution, account)


def _securities(root: ET.Element) -> dict[tuple[str, str], Any]:
    securities: dict[tuple[str, str], Any] = {}
    for element in root.iterfind(".//SECLIST/*"):
        try:
            info = _convert(element)
        except Exception:  # A transaction citing it is reported instead.
            continue
        secid = info.secinfo.secid
        securities[(secid.uniqueidtype, secid.uniqueid)] = info
    return securities


def _execution(
    tag: str,
    transaction: Any,
    securities: Mapping[tuple[str, str], Any],
    currency: str,
    line: int,
) -> ExecutionIn:
    if tag in CLOSURES:
        invtran, secid, units = transaction.invtran, transaction.secid, transaction.units
        price = commission = fees = Decimal(0)
        fx_rate = None
        kind = _KIND[transaction.optaction]
        open_close: OpenClose | None = "close"
        side = "sell" if units < 0 else "buy"
    else:
        inner = transaction.invbuy if tag.startswith("BUY") else transaction.invsell
        invtran, secid, units, price = inner.invtran, inner.secid, inner.units, inner.unitprice
        commission = abs(inner.commission or 0)
        fees = abs(inner.fees or 0) + abs(inner.taxes or 0)
        currency = inner.cursym or currency
        fx_rate = inner.currate
        kind = "trade"
        action = next(
            (
                getattr(transaction, name)
                for name in ("buytype", "selltype", "optbuytype", "optselltype")
                if getattr(transaction, name, None)
            ),
            "",
        )
        open_close = _OPEN_CLOSE.get(action)
        side = "buy" if tag.startswith("BUY") else "sell"
    return ExecutionIn(
        broker_execution_id=invtran.fitid,
        executed_at=invtran.dttrade,
        instrument=_instrument(secid, securities, currency),
        side=side,
        quantity=abs(units),
        price=price,
        commission=commission,
        fees=fees,
        fx_rate_to_base=fx_rate,
        open_close=open_close,
        kind=kind,
        source_line=line,
    )


def _instrument(secid: Any, securities: Mapping[tuple[str, str], Any], currency: str) -> Instrument:
    info = securities.get((secid.uniqueidtype, secid.uniqueid))
    if info is None:
        raise UnknownInstrumentError(
            f"security {secid.uniqueidtype} {secid.uniqueid} is not in the statement's SECLIST"
        )
    ticker = (info.secinfo.ticker or "").strip()
    if type(info).__name__ == "OPTINFO":
        multiplier = Decimal(info.shperctrct or 100)
        try:
            return occ_option(ticker, multiplier=multiplier)
        except UnknownInstrumentError:
            underlying = (
                securities.get((info.secid.uniqueidtype, info.secid.uniqueid))
                if info.secid
                else None
            )
            if underlying is None or not underlying.secinfo.ticker:
                raise
            return option(
                underlying.secinfo.ticker,
                info.dtexpire.date(),
                info.strikeprice,
                info.opttype,
                multiplier=multiplier,
                currency=currency,
            )
    return Instrument(
        asset_class="stock", symbol=(ticker or secid.uniqueid).upper(), currency=currency
    )


def _convert(element: ET.Element) -> Any:
    # Brokers add their own tags; ofxtools skips them with a warning that is only noise here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownTagWarning)
        return Aggregate.from_etree(element)
