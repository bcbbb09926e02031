"""Which broker format a file is, from its content (never its name), and its parser."""

from __future__ import annotations

import csv
import itertools
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from tradeloop_contracts import ImportFormat

from . import (
    alpaca,
    ibkr_flex,
    ninjatrader,
    ofx,
    robinhood,
    schwab,
    tradestation,
    tradovate,
    webull,
)
from .decoding import open_text, read_lines
from .generic_csv import (
    HEADER_SEARCH_LINES,
    ParsedRow,
    RowProblem,
    detect_layout,
    normalise_header,
    parse_generic_csv,
)

HEAD_CHARS = 1 << 16

Rows = Iterator[ParsedRow | RowProblem]

# CSV formats by their header, most specific first; the generic CSV is the fallback.
_CSV_HEADERS: tuple[tuple[ImportFormat, Callable[[frozenset[str]], bool]], ...] = (
    ("ibkr_flex_csv", ibkr_flex.is_flex_csv_header),
    ("tradovate_csv", tradovate.is_header),
    ("ninjatrader_csv", ninjatrader.is_header),
    ("schwab_csv", schwab.is_transactions_header),
    ("webull_csv", webull.is_header),
    ("robinhood_csv", robinhood.is_header),
    ("tradestation_csv", tradestation.is_header),
    ("alpaca_csv", alpaca.is_header),
)


def detect_format(head: str) -> ImportFormat | None:
    """The format of a file given its first characters (decoded), or None if none fits."""
    start = head.lstrip("\ufeff \t\r\n")
    if start.upper().startswith("OFXHEADER") or "<OFX>" in head[:4096].upper():
        return "ofx"
    if schwab.is_statement(start):
        return "schwab_csv"
    if start.startswith("<"):
        roots = (f"<{root}" for root in ibkr_flex.XML_ROOTS)
        return "ibkr_flex_xml" if any(root in head for root in roots) else None
    lines = list(itertools.islice(read_lines_of(head), HEADER_SEARCH_LINES))
    try:
        rows = [frozenset(normalise_header(name) for name in row) for row in csv.reader(lines)]
    except csv.Error:
        rows = []
    for file_format, is_header in _CSV_HEADERS:
        if any(is_header(row) for row in rows):
            return file_format
    return "generic_csv" if detect_layout(lines) is not None else None


def read_lines_of(head: str) -> Iterator[str]:
    """The complete lines of `head` (a last line without its ending may be cut short)."""
    return iter(head.splitlines(keepends=True))


def detect_file_format(raw: Path, encoding: str) -> ImportFormat | None:
    """The format of the file at `raw` read in `encoding`, from its first HEAD_CHARS."""
    with open_text(raw.open("rb"), encoding) as text:
        return detect_format(text.read(HEAD_CHARS))


_LINE_PARSERS: Mapping[ImportFormat, Callable[..., Rows]] = {
    "generic_csv": parse_generic_csv,
    "ibkr_flex_csv": ibkr_flex.parse_ibkr_flex_csv,
    "tradovate_csv": tradovate.parse_tradovate_csv,
    "ninjatrader_csv": ninjatrader.parse_ninjatrader_csv,
    "schwab_csv": schwab.parse_schwab_csv,
    "webull_csv": webull.parse_webull_csv,
    "robinhood_csv": robinhood.parse_robinhood_csv,
    "tradestation_csv": tradestation.parse_tradestation_csv,
    "alpaca_csv": alpaca.parse_alpaca_csv,
}
_TEXT_PARSERS: Mapping[ImportFormat, Callable[..., Rows]] = {
    "ibkr_flex_xml": ibkr_flex.parse_ibkr_flex_xml,
}
PARSED_FORMATS: frozenset[ImportFormat] = frozenset({*_LINE_PARSERS, *_TEXT_PARSERS, "ofx"})


def parse_text(text: TextIO, file_format: ImportFormat, time_zone: ZoneInfo) -> Rows:
    """The results of parsing `text` (an `open_text` view) as `file_format`, streamed.

    Raises KeyError for a format not in PARSED_FORMATS, and the parser's
    FormatNotRecognisedError when the content is not that format.
    """
    if file_format in _TEXT_PARSERS:
        return _TEXT_PARSERS[file_format](text, time_zone=time_zone)
    if file_format == "ofx":
        return ofx.parse_ofx(text)
    return _LINE_PARSERS[file_format](read_lines(text), time_zone=time_zone)
