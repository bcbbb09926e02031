"""Rows of broker exports keyed by column name, and turning one row into a result.

Shared by the broker formats: a `Record` is one row (or XML element) with its line and
its values under normalised column names; `parse_record` turns the exceptions a format's
row reader raises into a `RowProblem` naming the column as the file writes it.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import itertools
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from .generic_csv import (
    FormatNotRecognisedError,
    ParsedRow,
    RowProblem,
    UnusableTimeError,
    normalise_header,
    parse_amount,
    parse_time,
)
from .instruments import UnknownInstrumentError

HEADER_SEARCH_LINES = 20
MARKET_CLOSE = ("16", "00", "00")

_US_TIME = re.compile(
    r"(\d{1,2})/(\d{1,2})/(\d{4}|\d{2}),? +(\d{1,2}):(\d{2})(?::(\d{2}))? *([AP]M)? *([A-Z]{2,4})?",
    re.I,
)
_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
# Zone abbreviations US brokers print after a time: fixed offsets, or ET (whichever applies).
_ZONE_OFFSETS = {
    "EST": "-05:00",
    "EDT": "-04:00",
    "CST": "-06:00",
    "CDT": "-05:00",
    "MST": "-07:00",
    "MDT": "-06:00",
    "PST": "-08:00",
    "PDT": "-07:00",
    "UTC": "+00:00",
    "GMT": "+00:00",
}
_NEW_YORK = ZoneInfo("America/New_York")


class BadFieldError(ValueError):
    """A value of a row that cannot be used; `key` is the normalised column name."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(reason)
        self.key = key


@dataclass(frozen=True)
class Record:
    """One row: its 1-based line, values by normalised column name, and the names as written."""

    line: int
    values: Mapping[str, str]
    names: Mapping[str, str]

    def get(self, *keys: str) -> str:
        """The first non-empty value of `keys`, stripped, or an empty string."""
        for key in keys:
            value = self.values.get(key, "").strip()
            if value:
                return value
        return ""

    def required(self, *keys: str) -> str:
        """The first non-empty value of `keys`; BadFieldError naming the first key if none."""
        value = self.get(*keys)
        if not value:
            raise BadFieldError(self._present(keys), f"{self.name(self._present(keys))} is empty")
        return value

    def amount(self, *keys: str, default: str | None = None) -> Decimal:
        """The first non-empty value of `keys` as a Decimal (broker number formats allowed).

        Raises BadFieldError when it is missing (and there is no `default`) or not a number.
        """
        key = self._present(keys)
        text = self.get(*keys) if default is None else (self.get(*keys) or default)
        if not text:
            raise BadFieldError(key, f"{self.name(key)} is empty")
        try:
            return parse_amount(text)
        except ValueError:
            raise BadFieldError(key, f"{self.name(key)} {text!r} is not a number") from None

    def cost(self, *keys: str) -> Decimal:
        """A commission or fee as a positive cost (brokers write costs with either sign)."""
        return abs(self.amount(*keys, default="0"))

    def name(self, key: str) -> str:
        """The column as the file names it."""
        return self.names.get(key, key)

    def _present(self, keys: tuple[str, ...]) -> str:
        for key in keys:
            if self.values.get(key, "").strip():
                return key
        return next((key for key in keys if key in self.names), keys[0])


def parse_record(
    record: Record, read: Callable[[Record], ParsedRow | None], *, instrument: str
) -> ParsedRow | RowProblem | None:
    """`read(record)`, or a RowProblem naming the column when the row cannot be used.

    `read` returns None for a row that is not an execution (a summary, a cash line). An
    unknown instrument is reported under the column `instrument` (a normalised name).
    """
    try:
        return read(record)
    except BadFieldError as error:
        return RowProblem(record.line, record.name(error.key), str(error))
    except UnknownInstrumentError as error:
        return RowProblem(record.line, record.name(instrument), f"unknown instrument: {error}")
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return RowProblem(record.line, None, f"{where}: {first['msg']}" if where else first["msg"])


def parse_records(
    records: Iterable[Record | RowProblem],
    read: Callable[[Record], ParsedRow | None],
    *,
    instrument: str,
) -> Iterator[ParsedRow | RowProblem]:
    """`parse_record` of each record (the problems of rows that could not be split are
    passed on), leaving out the rows that are not executions."""
    for record in records:
        result = (
            record
            if isinstance(record, RowProblem)
            else parse_record(record, read, instrument=instrument)
        )
        if result is not None:
            yield result


def csv_records(
    lines: Iterable[str],
    is_header: Callable[[frozenset[str]], bool],
    *,
    description: str,
    delimiter: str = ",",
    section: bool = False,
) -> Iterator[Record | RowProblem]:
    """The data rows of a CSV export whose header `is_header` recognises, in file order.

    The header is looked for in the first HEADER_SEARCH_LINES lines; a row recognised as a
    header later starts a new section with its own columns. Blank rows are skipped.
    Raises FormatNotRecognisedError (before yielding) when no header is found.

    With `section`, the header may come anywhere (a statement's section among others) and a
    blank row ends the section; FormatNotRecognisedError comes at the end when none was found.
    """
    source = iter(lines)
    head = list(itertools.islice(source, HEADER_SEARCH_LINES))
    if not section:
        try:
            found = any(
                is_header(frozenset(normalise_header(name) for name in row))
                for row in csv.reader(head, delimiter=delimiter)
            )
        except csv.Error:
            found = False
        if not found:
            raise FormatNotRecognisedError(f"no {description} header in the first lines")
    reader = csv.reader(itertools.chain(head, source), delimiter=delimiter)
    keys: list[str] | None = None
    names: dict[str, str] = {}
    seen_header = False
    while True:
        line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            if keys is not None or not section:
                yield RowProblem(line, None, f"not a CSV row: {error}")
            continue
        normalised = [normalise_header(name) for name in row]
        if is_header(frozenset(normalised)):
            keys = normalised
            names = {key: name.strip() for key, name in zip(normalised, row, strict=True)}
            seen_header = True
            continue
        if not any(value.strip() for value in row):
            if section:
                keys = None
            continue
        if keys is None:
            continue
        yield Record(line, dict(zip(keys, row, strict=False)), names)
    if not seen_header:
        raise FormatNotRecognisedError(f"no {description} header in the file")


class Fingerprints:
    """Fingerprints of rows without a broker id: SHA-256 of the normalised row plus its
    sequence among identical rows of the file (identical rows are distinct fills)."""

    def __init__(self) -> None:
        self._seen: Counter[bytes] = Counter()

    def of(self, *parts: object) -> str:
        """The fingerprint of the next row made of `parts`."""
        row = "|".join(
            format(part.normalize(), "f") if isinstance(part, Decimal) else str(part)
            for part in parts
        ).encode()
        key = hashlib.sha256(row).digest()
        self._seen[key] += 1
        return hashlib.sha256(row + b"|" + str(self._seen[key]).encode()).hexdigest()


def local_time(
    record: Record, key: str, parts: tuple[str, ...], time_zone: ZoneInfo, *, offset: str = ""
) -> dt.datetime:
    """An aware UTC time from `parts` (year, month, day, hour, minute, second[, fraction])
    read in `time_zone`, or at `offset` (`-05:00`) when given.

    Raises BadFieldError naming `key` when the parts make no valid time.
    """
    year, month, day, hour, minute, second, *fraction = parts
    text = f"{int(year):04}-{int(month):02}-{int(day):02}T{int(hour):02}:{minute}:{second}"
    if fraction and fraction[0]:
        text += f".{fraction[0][:6]}"
    text += offset
    try:
        return parse_time(text, time_zone)
    except UnusableTimeError as error:
        reason = f"{record.name(key)} {record.get(key)!r} {error}"
    except (ValueError, OverflowError):
        reason = f"{record.name(key)} {record.get(key)!r} is not a valid time"
    raise BadFieldError(key, reason)


def us_time(record: Record, key: str, time_zone: ZoneInfo) -> dt.datetime:
    """An aware UTC time from a US broker's `3/4/2024 9:31:12 AM`, `03/04/2024 09:31:12 EST`
    or `6/21/22 15:23:42`: read in `time_zone` unless a zone abbreviation follows.

    Raises BadFieldError naming `key` when the value is empty or no such time.
    """
    text = record.required(key)
    match = _US_TIME.fullmatch(text)
    if match is None:
        raise BadFieldError(key, f"{record.name(key)} {text!r} is not a time like 3/4/2024 9:31:12")
    month, day, year, hour, minute, second, half, zone = match.groups()
    clock = int(hour)
    if half is not None:
        if not 1 <= clock <= 12:
            raise BadFieldError(key, f"{record.name(key)} {text!r} has no such hour")
        clock = clock % 12 + (12 if half.upper() == "PM" else 0)
    offset = ""
    if zone is not None and zone.upper() not in ("ET", "EST5EDT"):
        offset = _ZONE_OFFSETS.get(zone.upper(), "")
        if not offset:
            raise BadFieldError(key, f"{record.name(key)} {text!r} has an unknown time zone")
    elif zone is not None:
        time_zone = _NEW_YORK
    year = f"20{year}" if len(year) == 2 else year
    parts = (year, month, day, str(clock), minute, second or "00")
    return local_time(record, key, parts, time_zone, offset=offset)


class TradeDates:
    """Times for exports that give only a trade date and list the newest rows first.

    Each execution is placed at the market close (16:00 in the import's zone) of its date,
    a microsecond earlier for each row of the same date above it, so matching keeps the
    broker's order. A date may be followed by more text (`03/05/2024 as of 03/04/2024`).
    """

    def __init__(self, time_zone: ZoneInfo) -> None:
        self._time_zone = time_zone
        self._day: str | None = None
        self._rows_of_day = 0

    def time(self, record: Record, key: str) -> dt.datetime:
        """The time of the row; BadFieldError naming `key` when it holds no M/D/YYYY date."""
        text = record.required(key)
        match = _US_DATE.match(text)
        if match is None:
            raise BadFieldError(key, f"{record.name(key)} {text!r} is not a date like 03/04/2024")
        month, day, year = match.groups()
        try:
            close = local_time(record, key, (year, month, day, *MARKET_CLOSE), self._time_zone)
        except BadFieldError:
            raise BadFieldError(key, f"{record.name(key)} {text!r} is not a valid date") from None
        if match.group(0) != self._day:
            self._day, self._rows_of_day = match.group(0), 0
        self._rows_of_day += 1
        return close - dt.timedelta(microseconds=self._rows_of_day - 1)
