"""The generic CSV format: one execution per row, columns recognised by their header names.

Pure and streaming: `parse_generic_csv` reads an iterator of lines and yields one result
per data row, holding only the current row (and one hash per distinct row id-less row,
to number identical rows).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import itertools
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from tradeloop_contracts import ExecutionIn, Instrument, MappingField, Side

# Header names after lower-casing and dropping everything but letters and digits.
HEADER_ALIASES: Mapping[MappingField, frozenset[str]] = {
    "datetime": frozenset(
        {"datetime", "executedat", "executiontime", "timestamp", "filltime", "tradetime"}
    ),
    "date": frozenset({"date", "tradedate", "executiondate"}),
    "time": frozenset({"time"}),
    "symbol": frozenset({"symbol", "ticker", "instrument"}),
    "side": frozenset({"side", "action", "buysell", "bs"}),
    "quantity": frozenset({"quantity", "qty", "shares", "filledqty", "filledquantity"}),
    "price": frozenset(
        {"price", "fillprice", "avgprice", "averageprice", "executionprice", "tradeprice"}
    ),
    "commission": frozenset({"commission", "commissions", "comm"}),
    "fees": frozenset({"fees", "fee", "regfees"}),
    "id": frozenset({"id", "execid", "executionid", "tradeid", "fillid"}),
    "order_id": frozenset({"orderid"}),
    "currency": frozenset({"currency", "ccy"}),
    "account": frozenset({"account", "accountid", "accountnumber"}),
}
SIDE_VALUES: Mapping[str, Side] = {
    **dict.fromkeys(["buy", "b", "bot", "bought", "cover", "buytocover"], "buy"),
    **dict.fromkeys(["sell", "s", "sld", "sold", "short", "sellshort", "ss"], "sell"),
}
DateOrder = Literal["ymd", "mdy", "dmy"]
DELIMITERS = (",", ";", "\t", "|")
HEADER_SEARCH_LINES = 20
DEFAULT_TIME_ZONE = ZoneInfo("America/New_York")
_OLDEST, _NEWEST = 1970, 2100

_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_CURRENCY_MARKS = re.compile(r"[\s\u00a0'$€£¥]|^[A-Z]{3}|[A-Z]{3}$")
_GROUPING_MARKS = re.compile(r"[\s\u00a0']")
_THOUSANDS = re.compile(r"[-+]?\d{1,3}(,\d{3})+(\.\d*)?")
_PLAIN_NUMBER = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)")
_BARE_DATE = re.compile(r"\d{4}-?\d{2}-?\d{2}")
_ORDERED_TIME = re.compile(
    r"(\d{1,4})[./-](\d{1,2})[./-](\d{1,4})"
    r"(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6}))?)? *([AP]M)?)?",
    re.I,
)
_MAX_NUMBER_CHARS = 40


@dataclass(frozen=True)
class Layout:
    """Where the header is and which column holds which field."""

    delimiter: str
    header_index: int
    columns: Mapping[MappingField, int]
    names: Mapping[MappingField, str]


@dataclass(frozen=True)
class ValueFormats:
    """How a file writes dates and numbers: the order of day, month and year in dates or a
    strftime pattern for its times, whether the decimal mark is a comma (None: told apart
    from thousands separators by the value itself), and whether currency marks and
    parentheses for negatives are read."""

    date_order: DateOrder = "ymd"
    date_format: str | None = None
    decimal_comma: bool | None = None
    currency_symbols: bool = True
    parentheses_negative: bool = True


@dataclass(frozen=True)
class ParsedRow:
    """A valid row: its normalised execution and the account the file names, if any."""

    line: int
    execution: ExecutionIn
    account: str | None


@dataclass(frozen=True)
class RowProblem:
    """A row refused: its line (1-based, where the row starts), the field, and why."""

    line: int
    field: str | None
    reason: str


class FormatNotRecognisedError(ValueError):
    """The content is not a generic CSV export."""


class UnusableTimeError(ValueError):
    """A well-formed time that cannot be an execution time."""


class _BadValueError(ValueError):
    def __init__(self, field: MappingField, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


@functools.lru_cache(maxsize=1024)
def normalise_header(name: str) -> str:
    """`Date/Time` → `datetime`, `Exec ID` → `execid`: the key header aliases are matched on."""
    return _NON_ALNUM.sub("", name.strip().lower())


def map_header(names: Sequence[str]) -> dict[MappingField, int]:
    """Which column holds which field (the first of several candidates wins)."""
    columns: dict[MappingField, int] = {}
    for index, name in enumerate(names):
        key = normalise_header(name)
        for field, aliases in HEADER_ALIASES.items():
            if key in aliases and field not in columns:
                columns[field] = index
    return columns


def _has_required_columns(columns: Mapping[MappingField, int]) -> bool:
    has_time = "datetime" in columns or "date" in columns or "time" in columns
    return has_time and all(field in columns for field in ("symbol", "quantity", "price"))


def detect_layout(head: Sequence[str]) -> Layout | None:
    """The layout of a file given its first lines, or None when no delimiter yields a header
    naming at least a time, a symbol, a quantity and a price.
    """
    best: tuple[int, int, Layout] | None = None
    for delimiter in DELIMITERS:
        try:
            records = list(csv.reader(head, delimiter=delimiter))
        except csv.Error:
            continue
        for index, record in enumerate(records[:HEADER_SEARCH_LINES]):
            columns = map_header(record)
            if not _has_required_columns(columns):
                continue
            names = {field: record[column].strip() for field, column in columns.items()}
            # More recognised columns wins; on a tie, the earlier header.
            score = (len(columns), -index)
            if best is None or score > best[:2]:
                best = (*score, Layout(delimiter, index, columns, names))
            break
    return best[2] if best is not None else None


def parse_generic_csv(
    lines: Iterable[str], *, time_zone: ZoneInfo = DEFAULT_TIME_ZONE
) -> Iterator[ParsedRow | RowProblem]:
    """One ParsedRow or RowProblem per data row of a generic CSV file, in file order.

    Times without an offset are read in `time_zone`. Blank rows are skipped. Raises
    FormatNotRecognisedError (before yielding anything) when the first lines hold no
    recognisable header, and decoding.LineTooLongError from the line source.
    """
    source = iter(lines)
    head = list(itertools.islice(source, HEADER_SEARCH_LINES))
    layout = detect_layout(head)
    if layout is None:
        raise FormatNotRecognisedError(
            "no header row naming a time, symbol, quantity and price column in the first "
            f"{HEADER_SEARCH_LINES} lines"
        )
    yield from parse_rows(itertools.chain(head, source), layout, time_zone, ValueFormats())


def parse_rows(
    lines: Iterable[str], layout: Layout, time_zone: ZoneInfo, formats: ValueFormats
) -> Iterator[ParsedRow | RowProblem]:
    """One ParsedRow or RowProblem per data row after `layout`'s header, in file order,
    with dates and numbers read as `formats` says."""
    reader = csv.reader(lines, delimiter=layout.delimiter)
    row_parser = _RowParser(layout, time_zone, formats)
    index = 0
    while True:
        start_line = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield RowProblem(start_line, None, f"not a CSV row: {error}")
            continue
        index += 1
        if index <= layout.header_index + 1 or not any(value.strip() for value in record):
            continue
        yield row_parser.parse(start_line, record)


class _RowParser:
    def __init__(self, layout: Layout, time_zone: ZoneInfo, formats: ValueFormats) -> None:
        self._columns = layout.columns
        self._names = layout.names
        self._time_zone = time_zone
        self._formats = formats
        self._seen: Counter[bytes] = Counter()

    def parse(self, line: int, record: Sequence[str]) -> ParsedRow | RowProblem:
        try:
            return self._parse(line, record)
        except _BadValueError as error:
            # Name the column as the file names it, so the trader can find it.
            return RowProblem(line, self._names.get(error.field, error.field), error.reason)

    def _value(self, record: Sequence[str], field: MappingField) -> str:
        index = self._columns.get(field)
        if index is None or index >= len(record):
            return ""
        return record[index].strip()

    def _required(self, record: Sequence[str], field: MappingField) -> str:
        value = self._value(record, field)
        if not value:
            raise _BadValueError(field, f"{field} is empty")
        return value

    def _parse(self, line: int, record: Sequence[str]) -> ParsedRow | RowProblem:
        executed_at = self._executed_at(record)
        symbol = self._required(record, "symbol").upper()
        quantity = self._amount(self._required(record, "quantity"), "quantity")
        if quantity == 0:
            raise _BadValueError("quantity", "quantity must not be zero")
        side = self._side(record, quantity)
        price = self._amount(self._required(record, "price"), "price")
        if price < 0:
            raise _BadValueError("price", f"price {price} is negative")
        # Brokers write costs as positive or negative numbers; a cost is stored positive.
        commission = abs(self._amount(self._value(record, "commission") or "0", "commission"))
        fees = abs(self._amount(self._value(record, "fees") or "0", "fees"))
        currency = self._value(record, "currency").upper() or "USD"
        broker_id = self._value(record, "id") or None
        fingerprint = None
        if broker_id is None:
            fingerprint = self._fingerprint(
                executed_at, symbol, side, abs(quantity), price, commission, fees, currency
            )
        try:
            execution = ExecutionIn(
                broker_execution_id=broker_id,
                fingerprint=fingerprint,
                executed_at=executed_at,
                instrument=Instrument(asset_class="stock", symbol=symbol, currency=currency),
                side=side,
                quantity=abs(quantity),
                price=price,
                commission=commission,
                fees=fees,
                order_id=self._value(record, "order_id") or None,
                source_line=line,
            )
        except ValidationError as error:
            first = error.errors()[0]
            field = _FIELD_OF_LOCATION.get(str(first["loc"][-1]) if first["loc"] else "")
            if field is None:
                return RowProblem(line, None, first["msg"])
            message = first["msg"]
            raise _BadValueError(field, f"{field}: {message}") from None
        return ParsedRow(line, execution, self._value(record, "account") or None)

    def _executed_at(self, record: Sequence[str]) -> dt.datetime:
        if "datetime" in self._columns:
            return self._time(self._required(record, "datetime"), "datetime")
        if "date" in self._columns and "time" in self._columns:
            date = self._required(record, "date")
            time = self._required(record, "time")
            return self._time(f"{date} {time}", "time")
        field: MappingField = "time" if "time" in self._columns else "date"
        return self._time(self._required(record, field), field)

    def _time(self, text: str, field: MappingField) -> dt.datetime:
        formats = self._formats
        expected = formats.date_format or _TIME_FORMATS[formats.date_order]
        try:
            if formats.date_format:
                written = dt.datetime.strptime(text.strip(), formats.date_format).isoformat()
                return parse_time(written, self._time_zone)
            return parse_time(text, self._time_zone, date_order=formats.date_order)
        except UnusableTimeError as error:
            reason = f"time {text!r} {error}"
        except (ValueError, OverflowError):
            reason = f"time {text!r} is not {expected}"
        raise _BadValueError(field, reason)

    def _amount(self, text: str, field: MappingField) -> Decimal:
        formats = self._formats
        try:
            return parse_amount(
                text,
                decimal_comma=formats.decimal_comma,
                currency_symbols=formats.currency_symbols,
                parentheses_negative=formats.parentheses_negative,
            )
        except ValueError:
            raise _BadValueError(field, f"{field} {text!r} is not a number") from None

    def _side(self, record: Sequence[str], quantity: Decimal) -> Side:
        text = self._value(record, "side")
        if not text:
            # Without a side, the sign of the quantity says which way the trade went.
            return "sell" if quantity < 0 else "buy"
        side = SIDE_VALUES.get(normalise_header(text))
        if side is None:
            raise _BadValueError("side", f"side {text!r} is not buy, sell, b, s, bot, sld, ...")
        return side

    def _fingerprint(self, *parts: object) -> str:
        row = "|".join(
            format(part.normalize(), "f") if isinstance(part, Decimal) else str(part)
            for part in parts
        ).encode()
        key = hashlib.sha256(row).digest()
        self._seen[key] += 1
        # Identical rows in one file are distinct fills: the sequence keeps them apart.
        return hashlib.sha256(row + b"|" + str(self._seen[key]).encode()).hexdigest()


_FIELD_OF_LOCATION: Mapping[str, MappingField] = {
    "broker_execution_id": "id",
    "symbol": "symbol",
    "currency": "currency",
    "order_id": "order_id",
    "quantity": "quantity",
    "price": "price",
    "commission": "commission",
    "fees": "fees",
}


def parse_amount(
    text: str,
    *,
    decimal_comma: bool | None = None,
    currency_symbols: bool = True,
    parentheses_negative: bool = True,
) -> Decimal:
    """A Decimal from a broker's number: `1,234.50`, `$12`, `(3.20)` (negative), `1.234,50`.

    With `decimal_comma` True the comma is the decimal mark and dots or spaces group
    thousands (`1.234,5`), False the other way round; None tells them apart by the value.
    Without `currency_symbols` or `parentheses_negative`, `$12` or `(3.20)` are refused.
    Raises ValueError when `text` is not such a number.
    """
    value = text.strip()
    negative = parentheses_negative and value.startswith("(") and value.endswith(")")
    if negative:
        value = value[1:-1]
    marks = _CURRENCY_MARKS if currency_symbols else _GROUPING_MARKS
    value = marks.sub("", value.strip())
    if len(value) > _MAX_NUMBER_CHARS:
        raise ValueError("too many digits")
    if decimal_comma is not None:
        thousands, mark = (".", ",") if decimal_comma else (",", ".")
        value = value.replace(thousands, "").replace(mark, ".")
    elif "," in value and "." in value:
        # Whichever separator comes last is the decimal point.
        if value.rfind(",") > value.rfind("."):
            value = value.replace(".", "").replace(",", ".")
        else:
            value = value.replace(",", "")
    elif "," in value:
        value = value.replace(",", "") if _THOUSANDS.fullmatch(value) else value.replace(",", ".")
    if not _PLAIN_NUMBER.fullmatch(value):
        raise ValueError("not a number")
    number = Decimal(value)
    return -number if negative else number


def parse_time(text: str, time_zone: ZoneInfo, *, date_order: DateOrder = "ymd") -> dt.datetime:
    """An aware UTC datetime from ISO 8601 or `YYYY-MM-DD HH:MM:SS`, or with `date_order`
    `dmy` or `mdy`, `DD/MM/YYYY HH:MM[:SS]` or `MM/DD/YYYY h:MM[:SS] PM` (any of `/.-`).

    A time without an offset is read in `time_zone`; on the repeated hour of a clock
    change the first occurrence is taken. Raises UnusableTimeError for a date without a
    time, a local time the clock change skipped, or a year outside 1970-2100, and
    ValueError for anything that is not such a time.
    """
    value = text.strip()
    if date_order != "ymd" or not _BARE_DATE.match(value):
        value = _ordered_to_iso(value, date_order)
    if _BARE_DATE.fullmatch(value):
        raise UnusableTimeError("has a date but no time of day")
    parsed = dt.datetime.fromisoformat(value)
    if not _OLDEST <= parsed.year <= _NEWEST:
        raise UnusableTimeError(f"is outside {_OLDEST}-{_NEWEST}")
    if parsed.tzinfo is None:
        local = parsed.replace(tzinfo=time_zone)
        if local.astimezone(dt.UTC).astimezone(time_zone).replace(tzinfo=None) != parsed:
            raise UnusableTimeError(f"does not exist in {time_zone.key} (the clock skipped it)")
        parsed = local
    return parsed.astimezone(dt.UTC)


_TIME_FORMATS: Mapping[DateOrder, str] = {
    "ymd": "ISO 8601 or YYYY-MM-DD HH:MM:SS",
    "dmy": "DD/MM/YYYY HH:MM:SS",
    "mdy": "MM/DD/YYYY HH:MM:SS",
}


def _ordered_to_iso(value: str, date_order: DateOrder) -> str:
    """`value` rewritten as ISO 8601 when it is a date (and time) in `date_order`; as it is
    when it does not look like one, so fromisoformat judges it."""
    match = _ORDERED_TIME.fullmatch(value)
    if match is None:
        return value
    first, second, third, hour, minute, second_of_minute, fraction, half = match.groups()
    # A four-digit first number is a year whatever the order the trader chose.
    order: DateOrder = "ymd" if len(first) == 4 else date_order
    year, month, day = {
        "ymd": (first, second, third),
        "dmy": (third, second, first),
        "mdy": (third, first, second),
    }[order]
    if len(year) != 4:
        year = f"20{year}" if len(year) == 2 else year
    text = f"{int(year):04}-{int(month):02}-{int(day):02}"
    if hour is None:
        return text
    clock = int(hour)
    if half is not None:
        if not 1 <= clock <= 12:
            raise ValueError("no such hour")
        clock = clock % 12 + (12 if half.upper() == "PM" else 0)
    text += f" {clock:02}:{minute}:{second_of_minute or '00'}"
    return text + (f".{fraction:0<6}" if fraction else "")
