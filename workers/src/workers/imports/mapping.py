"""Column mappings for generic CSV files: guesses from the header names with a confidence,
a preview of the first rows, and parsing a file with the mapping the trader chose.

A mapping names, for each field, the column (as the file's header writes it) that holds
it, and says how the file writes dates (day first or month first, or a strftime pattern)
and numbers (decimal comma or point, currency marks, parentheses for negatives). Core
saves it per account and hands it back with the next import of that layout. The shapes
are the contracts' `ColumnMapping`, `FieldGuess` and `CsvPreview`.
"""

from __future__ import annotations

import csv
import difflib
import itertools
import re
import statistics
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from tradeloop_contracts import ColumnMapping, CsvPreview, FieldGuess, MappingField

from .generic_csv import (
    DEFAULT_TIME_ZONE,
    DELIMITERS,
    HEADER_ALIASES,
    HEADER_SEARCH_LINES,
    DateOrder,
    FormatNotRecognisedError,
    Layout,
    ParsedRow,
    RowProblem,
    ValueFormats,
    normalise_header,
    parse_rows,
)

PREVIEW_ROWS = 10
EXACT, CONTAINED = 1.0, 0.7
# Below this similarity a header name is not offered as a guess at all.
MIN_SIMILARITY = 0.75
ALL_FIELDS: tuple[MappingField, ...] = tuple(HEADER_ALIASES)

_LEADING_NUMBERS = re.compile(r"\s*(\d{1,4})[./-](\d{1,2})[./-](\d{1,4})")
_DECIMAL_COMMA = re.compile(r"[-+(]?[^\d]*\d{1,3}(\.\d{3})*,\d+\)?")
_DECIMAL_POINT = re.compile(r"[-+(]?[^\d]*\d{1,3}(,\d{3})*\.\d+\)?")


class MappingError(ValueError):
    """A mapping that cannot read the file: the message says what is wrong with it."""


def guess_columns(header: Sequence[str]) -> list[FieldGuess]:
    """The likely column of each field, each column given to at most one field.

    A name that is one of the field's known aliases (`Fill Price`, `Qty`, ...) is certain
    (1.0); one that contains an alias (`Trade Price USD`) is likely (0.7); otherwise the
    closest spelling of an alias gives its similarity, scaled below those (at most 0.69),
    when at least MIN_SIMILARITY alike.
    """
    candidates: list[tuple[float, int, MappingField]] = []
    for index, name in enumerate(header):
        key = normalise_header(name)
        if not key:
            continue
        for target, aliases in HEADER_ALIASES.items():
            score = _similarity(key, aliases)
            if score:
                candidates.append((score, -index, target))
    chosen: dict[MappingField, tuple[str, float]] = {}
    taken: set[int] = set()
    for score, negative_index, target in sorted(candidates, reverse=True):
        index = -negative_index
        if target in chosen or index in taken:
            continue
        chosen[target] = (header[index].strip(), score)
        taken.add(index)
    guesses = []
    for target in ALL_FIELDS:
        column, score = chosen.get(target, (None, 0.0))
        confidence = Decimal(str(round(score, 2)))
        guesses.append(FieldGuess(field=target, column=column, confidence=confidence))
    return guesses


def _similarity(key: str, aliases: frozenset[str]) -> float:
    if key in aliases:
        return EXACT
    # Short aliases (`b`, `s`, `id`) would be found inside almost any name.
    if any(len(alias) >= 4 and alias in key for alias in aliases):
        return CONTAINED
    best = max(difflib.SequenceMatcher(None, key, alias).ratio() for alias in aliases)
    return best * (CONTAINED - 0.01) if best >= MIN_SIMILARITY else 0.0


def preview_csv(lines: Iterable[str], *, rows: int = PREVIEW_ROWS) -> CsvPreview:
    """The delimiter, header and first `rows` data rows of a CSV file, with a guess of the
    column of every field. Reads only the first lines.

    The delimiter is the one that splits the first lines into the most columns, alike on
    every line; the header is the row (among the first HEADER_SEARCH_LINES) most of whose
    names are guessed, else the first non-blank one. Raises FormatNotRecognisedError when
    no delimiter gives at least two columns.
    """
    head = list(itertools.islice(iter(lines), HEADER_SEARCH_LINES + rows))
    delimiter, records = _split(head)
    header_index = _header_index(records[:HEADER_SEARCH_LINES])
    header = [name.strip() for name in records[header_index]]
    body = [record for record in records[header_index + 1 :] if any(v.strip() for v in record)]
    return CsvPreview.model_validate(
        {
            "delimiter": delimiter,
            "header": header,
            "rows": body[:rows],
            "guesses": guess_columns(header),
        }
    )


def suggest_mapping(preview: CsvPreview) -> ColumnMapping | None:
    """The preview's guesses as a mapping for the trader to confirm, with the date order
    and decimal mark its rows suggest; None when a required field has no guess.

    Day first when a date's first number is above 12 before any second number is (else
    month first; ISO dates read either way); a decimal comma when more numbers look like
    `1.234,50` than like `1,234.50`.
    """
    found = {guess.field: guess.column for guess in preview.guesses if guess.column}
    if "time" in found and "date" not in found and "datetime" not in found:
        # A lone time column holds the whole time (as the generic CSV reads it).
        found["datetime"] = found.pop("time")
    times = _column_values(preview.header, preview.rows, found, ("datetime", "date", "time"))
    numbers = _column_values(
        preview.header, preview.rows, found, ("price", "quantity", "commission", "fees")
    )
    try:
        return ColumnMapping(
            columns=found,
            delimiter=preview.delimiter,
            day_first=_guess_day_first(times),
            decimal_comma=_guess_decimal_comma(numbers),
        )
    except ValidationError:
        return None


def _split(head: Sequence[str]) -> tuple[str, list[list[str]]]:
    best: tuple[float, str, list[list[str]]] | None = None
    for delimiter in DELIMITERS:
        try:
            records = list(csv.reader(head, delimiter=delimiter))
        except csv.Error:
            continue
        widths = [len(record) for record in records if any(v.strip() for v in record)]
        if not widths or max(widths) < 2:
            continue
        # Many columns, the same on most lines: a preamble line may differ.
        score = statistics.median(widths) - statistics.pstdev(widths)
        if best is None or score > best[0]:
            best = (score, delimiter, records)
    if best is None:
        raise FormatNotRecognisedError(
            "no delimiter (, ; tab |) splits the first lines into columns"
        )
    return best[1], best[2]


def _header_index(records: Sequence[Sequence[str]]) -> int:
    scored = [
        (sum(1 for guess in guess_columns(record) if guess.column), -index)
        for index, record in enumerate(records)
        if any(value.strip() for value in record)
    ]
    return -max(scored)[1]


def _column_values(
    header: Sequence[str],
    body: Sequence[Sequence[str]],
    found: Mapping[MappingField, str],
    targets: Sequence[MappingField],
) -> list[str]:
    indexes = [header.index(found[target]) for target in targets if target in found]
    return [row[i].strip() for row in body for i in indexes if i < len(row) and row[i].strip()]


def _guess_day_first(values: Sequence[str]) -> bool:
    for value in values:
        match = _LEADING_NUMBERS.match(value)
        if match is None or len(match.group(1)) == 4:
            continue
        if int(match.group(1)) > 12:
            return True
        if int(match.group(2)) > 12:
            return False
    return False


def _guess_decimal_comma(values: Sequence[str]) -> bool:
    commas = sum(1 for value in values if _DECIMAL_COMMA.fullmatch(value))
    points = sum(1 for value in values if _DECIMAL_POINT.fullmatch(value))
    return commas > points


def parse_mapped_csv(
    lines: Iterable[str],
    mapping: ColumnMapping,
    *,
    time_zone: ZoneInfo = DEFAULT_TIME_ZONE,
) -> Iterator[ParsedRow | RowProblem]:
    """One ParsedRow or RowProblem per data row of a CSV file read with `mapping`.

    The header is the first row (in the first HEADER_SEARCH_LINES) that names every mapped
    column. Raises MappingError before yielding when the mapping names an unknown time
    zone, FormatNotRecognisedError when no row names its columns.
    """
    zone = _zone(mapping.time_zone) if mapping.time_zone else time_zone
    source = iter(lines)
    head = list(itertools.islice(source, HEADER_SEARCH_LINES))
    layout = _layout(head, mapping)
    order: DateOrder = "dmy" if mapping.day_first else "mdy"
    formats = ValueFormats(
        date_order=order,
        date_format=mapping.date_format,
        decimal_comma=mapping.decimal_comma,
        currency_symbols=mapping.currency_symbols,
        parentheses_negative=mapping.parentheses_negative,
    )
    skipped = itertools.chain(head, source)
    yield from parse_rows(skipped, layout, zone, formats)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError):
        raise MappingError(f"time zone {name!r} is not known") from None


def _layout(head: Sequence[str], mapping: ColumnMapping) -> Layout:
    wanted = {target: name.strip() for target, name in mapping.columns.items()}
    for delimiter in (mapping.delimiter,) if mapping.delimiter else DELIMITERS:
        try:
            records = list(csv.reader(head, delimiter=delimiter))
        except csv.Error:
            continue
        for index, record in enumerate(records):
            names = [name.strip() for name in record]
            if all(name in names for name in wanted.values()):
                columns = {target: names.index(name) for target, name in wanted.items()}
                return Layout(delimiter, index, columns, wanted)
    missing = ", ".join(repr(name) for name in wanted.values())
    raise FormatNotRecognisedError(f"no header row names the mapped columns {missing}")
