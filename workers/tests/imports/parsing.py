"""Parsing sample files the way the import job does, and what the tests read from results."""

from __future__ import annotations

import io
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from tradeloop_contracts import ImportFormat

from workers.imports.decoding import detect_encoding, open_text
from workers.imports.detect import parse_text
from workers.imports.generic_csv import ParsedRow, RowProblem

SAMPLES = Path(__file__).parent / "samples"
NEW_YORK = ZoneInfo("America/New_York")
FORMAT_OF_SAMPLE: dict[str, ImportFormat] = {
    "ibkr_flex.xml": "ibkr_flex_xml",
    "ibkr_flex.csv": "ibkr_flex_csv",
    "schwab_statement.ofx": "ofx",
    "tradovate_fills.csv": "tradovate_csv",
    "ninjatrader_executions.csv": "ninjatrader_csv",
    "generic.csv": "generic_csv",
    "schwab_statement.csv": "schwab_csv",
    "schwab_transactions.csv": "schwab_csv",
    "webull_orders.csv": "webull_csv",
    "robinhood_activity.csv": "robinhood_csv",
    "tradestation_orders.csv": "tradestation_csv",
    "alpaca_activities.csv": "alpaca_csv",
}


def parse_bytes(data: bytes, file_format: ImportFormat) -> list[ParsedRow | RowProblem]:
    encoding = detect_encoding([data])
    with open_text(io.BytesIO(data), encoding) as text:
        return list(parse_text(text, file_format, NEW_YORK))


def parse_sample(name: str) -> list[ParsedRow | RowProblem]:
    return parse_bytes((SAMPLES / name).read_bytes(), FORMAT_OF_SAMPLE[name])


def executions(rows: list[ParsedRow | RowProblem]) -> list[ParsedRow]:
    return [row for row in rows if isinstance(row, ParsedRow)]


def problems(rows: list[ParsedRow | RowProblem]) -> list[tuple[int, str | None]]:
    return [(row.line, row.field) for row in rows if isinstance(row, RowProblem)]


def net_pnl(rows: list[ParsedRow | RowProblem]) -> dict[str, Decimal]:
    """Realised net P&L per instrument of executions that take each instrument from flat
    back to flat: the cash the fills moved (sells in, buys out, × multiplier) less every
    commission and fee. Whatever the matching method, a flat-to-flat history realises
    exactly this; asserts that every instrument does end flat.
    """
    held: defaultdict[str, Decimal] = defaultdict(Decimal)
    cash: defaultdict[str, Decimal] = defaultdict(Decimal)
    for row in executions(rows):
        execution = row.execution
        symbol = execution.instrument.symbol
        sign = 1 if execution.side == "buy" else -1
        held[symbol] += sign * execution.quantity
        cash[symbol] -= (
            sign * execution.quantity * execution.price * execution.instrument.multiplier
        )
        cash[symbol] -= execution.commission + execution.fees
    assert {symbol: quantity for symbol, quantity in held.items() if quantity} == {}
    return dict(cash)


def of_symbols(rows: list[ParsedRow | RowProblem], *symbols: str) -> list[ParsedRow | RowProblem]:
    """The executions of `symbols` only: the round trips of a sample that also opens
    positions it never closes."""
    return [row for row in executions(rows) if row.execution.instrument.symbol in symbols]
