"""The rule that keeps the model honest: every number it writes must be one it was given.

Numbers are read from the model's text and compared with the numbers in the tool results
and the trader's own question. A written number matches a given one when it equals it
rounded to the written number's decimal places (half-even or half-up), or, written with
a `%`, equals the given fraction times 100 rounded the same way. Dates are numbers too,
so a date the model writes must appear in what it was given.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation

# Digits with optional thousands separators and decimals; a following % is kept.
_NUMBER = re.compile(r"(?<![\w.])-?\d[\d,]*(?:\.\d+)?%?")


def numbers_in(text: str) -> list[str]:
    """The numbers written in a text, as written (sign, decimals and % kept)."""
    return [match.group(0).rstrip(",") for match in _NUMBER.finditer(text)]


def _value(written: str) -> Decimal | None:
    try:
        return Decimal(written.rstrip("%").replace(",", ""))
    except InvalidOperation:
        return None


def _matches(written: str, given: Decimal) -> bool:
    value = _value(written)
    if value is None:
        return False
    places = value.as_tuple().exponent
    assert isinstance(places, int)  # a finite number
    candidates = [given, -given]
    if written.endswith("%"):
        candidates = [given * 100, -given * 100]
    quantum = Decimal(1).scaleb(places)
    for candidate in candidates:
        for rounding in (ROUND_HALF_EVEN, ROUND_HALF_UP):
            try:
                if candidate.quantize(quantum, rounding=rounding) == value:
                    return True
            except InvalidOperation:  # too many digits to round that way: not this one
                continue
    return False


def ungrounded(text: str, sources: Iterable[str]) -> list[str]:
    """The numbers of `text` that no number of `sources` supports (empty: all are grounded).

    Signs are not held against the model ("lost 120" for -120 is fine).
    """
    given = [
        value for source in sources for n in numbers_in(source) if (value := _value(n)) is not None
    ]
    given += [Decimal(0)]
    return [written for written in numbers_in(text) if not any(_matches(written, g) for g in given)]
