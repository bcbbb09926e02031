"""OCC option symbology: `ROOT(6, space padded) YYMMDD C|P STRIKE×1000 (8 digits)`.

Roots of adjusted options carry a digit (`AAPL1`) and a non-standard deliverable; their
multiplier is whatever the broker reports, never assumed to be 100.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

Right = Literal["call", "put"]
STANDARD_MULTIPLIER = Decimal(100)
_PATTERN = re.compile(
    r"^(?P<root>[A-Z0-9.]{1,6}?) *(?P<date>\d{6})(?P<right>[CP])(?P<strike>\d{8})$"
)


class OccSymbolError(ValueError):
    """The text is not an OCC option symbol."""


@dataclass(frozen=True)
class OccOption:
    """The parts an OCC symbol names."""

    root: str
    expiry: dt.date
    right: Right
    strike: Decimal

    @property
    def adjusted(self) -> bool:
        """Whether the root marks an adjusted option (a digit after the underlying)."""
        return self.root[-1].isdigit()

    @property
    def symbol(self) -> str:
        """The 21-character OCC symbol."""
        return occ_symbol(self.root, self.expiry, self.right, self.strike)


def parse_occ(text: str) -> OccOption:
    """The option an OCC symbol names, padded or not; OccSymbolError otherwise."""
    match = _PATTERN.match(text.strip().upper())
    if match is None:
        raise OccSymbolError(f"{text!r} is not an OCC option symbol")
    digits = match["date"]
    try:
        # Listed options expire in this century; strptime's %y would put 69-99 in the 1900s.
        expiry = dt.date(2000 + int(digits[:2]), int(digits[2:4]), int(digits[4:]))
    except ValueError as error:
        raise OccSymbolError(f"{text!r} has no valid expiry date") from error
    return OccOption(
        root=match["root"],
        expiry=expiry,
        right="call" if match["right"] == "C" else "put",
        strike=(Decimal(match["strike"]) / 1000).normalize(),
    )


def occ_symbol(root: str, expiry: dt.date, right: Right, strike: Decimal) -> str:
    """The padded OCC symbol; ValueError for a strike with more than 3 decimals or too large."""
    thousandths = strike * 1000
    if thousandths != thousandths.to_integral_value() or not 0 <= thousandths < 10**8:
        raise ValueError(f"strike {strike} cannot be written in OCC symbology")
    return (
        f"{root.upper():<6}{expiry:%y%m%d}{'C' if right == 'call' else 'P'}{int(thousandths):08d}"
    )
