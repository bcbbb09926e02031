"""Futures: month codes, symbols like `ESZ6` or `MESH26`, and common contract specs.

The table covers the common full and micro contracts of CME, CBOT, NYMEX, COMEX and
ICE US; an account may override any entry (`specs_with_overrides`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

MONTH_CODES = "FGHJKMNQUVXZ"
_SYMBOL = re.compile(r"^(?P<root>[A-Z0-9]{1,4}?)(?P<month>[FGHJKMNQUVXZ])(?P<year>\d{1,2})$")


class FuturesSymbolError(ValueError):
    """The text is not a futures symbol of root, month code and year."""


@dataclass(frozen=True)
class ContractSpec:
    """A futures contract: exchange, value of one point, tick size and currency."""

    exchange: str | None
    point_value: Decimal
    tick_size: Decimal
    currency: str = "USD"

    @property
    def tick_value(self) -> Decimal:
        """Money per tick per contract."""
        return self.point_value * self.tick_size


def _spec(exchange: str, point_value: str, tick: str, currency: str = "USD") -> ContractSpec:
    return ContractSpec(exchange, Decimal(point_value), Decimal(tick), currency)


CONTRACT_SPECS: Mapping[str, ContractSpec] = {
    # CME equity index, full and micro
    "ES": _spec("CME", "50", "0.25"),
    "MES": _spec("CME", "5", "0.25"),
    "NQ": _spec("CME", "20", "0.25"),
    "MNQ": _spec("CME", "2", "0.25"),
    "RTY": _spec("CME", "50", "0.1"),
    "M2K": _spec("CME", "5", "0.1"),
    "NKD": _spec("CME", "5", "5"),
    # CBOT equity index, rates and grains
    "YM": _spec("CBOT", "5", "1"),
    "MYM": _spec("CBOT", "0.5", "1"),
    "ZB": _spec("CBOT", "1000", "0.03125"),
    "UB": _spec("CBOT", "1000", "0.03125"),
    "ZN": _spec("CBOT", "1000", "0.015625"),
    "ZF": _spec("CBOT", "1000", "0.0078125"),
    "ZT": _spec("CBOT", "2000", "0.00390625"),
    "ZC": _spec("CBOT", "50", "0.25"),
    "ZS": _spec("CBOT", "50", "0.25"),
    "ZW": _spec("CBOT", "50", "0.25"),
    "ZM": _spec("CBOT", "100", "0.1"),
    "ZL": _spec("CBOT", "600", "0.01"),
    # CME currencies and crypto
    "6E": _spec("CME", "125000", "0.00005"),
    "M6E": _spec("CME", "12500", "0.0001"),
    "6J": _spec("CME", "12500000", "0.0000005"),
    "6B": _spec("CME", "62500", "0.0001"),
    "6A": _spec("CME", "100000", "0.00005"),
    "6C": _spec("CME", "100000", "0.00005"),
    "BTC": _spec("CME", "5", "5"),
    "MBT": _spec("CME", "0.1", "5"),
    "ETH": _spec("CME", "50", "0.5"),
    "MET": _spec("CME", "0.1", "0.5"),
    "LE": _spec("CME", "400", "0.025"),
    "HE": _spec("CME", "400", "0.025"),
    # NYMEX energy
    "CL": _spec("NYMEX", "1000", "0.01"),
    "MCL": _spec("NYMEX", "100", "0.01"),
    "QM": _spec("NYMEX", "500", "0.025"),
    "NG": _spec("NYMEX", "10000", "0.001"),
    "QG": _spec("NYMEX", "2500", "0.005"),
    "RB": _spec("NYMEX", "42000", "0.0001"),
    "HO": _spec("NYMEX", "42000", "0.0001"),
    # COMEX metals
    "GC": _spec("COMEX", "100", "0.1"),
    "MGC": _spec("COMEX", "10", "0.1"),
    "SI": _spec("COMEX", "5000", "0.005"),
    "SIL": _spec("COMEX", "1000", "0.005"),
    "HG": _spec("COMEX", "25000", "0.0005"),
    "MHG": _spec("COMEX", "2500", "0.0005"),
    # ICE US softs and indexes
    "KC": _spec("ICE", "375", "0.05"),
    "SB": _spec("ICE", "1120", "0.01"),
    "CC": _spec("ICE", "10", "1"),
    "CT": _spec("ICE", "500", "0.01"),
    "DX": _spec("ICE", "1000", "0.005"),
}


@dataclass(frozen=True)
class FuturesSymbol:
    """Root, delivery month (1-12) and year of a futures symbol."""

    root: str
    month: int
    year: int


def parse_futures_symbol(text: str, reference_year: int) -> FuturesSymbol:
    """Root, month and year of `ESZ6` / `ESZ26`; a one-digit year is the first one at or
    after `reference_year` ending in that digit. FuturesSymbolError otherwise."""
    match = _SYMBOL.match(text.strip().upper())
    if match is None:
        raise FuturesSymbolError(f"{text!r} is not a futures symbol like ESZ6")
    digits = match["year"]
    if len(digits) == 2:
        year = 2000 + int(digits)
    else:
        year = reference_year - reference_year % 10 + int(digits)
        if year < reference_year:
            year += 10
    return FuturesSymbol(match["root"], MONTH_CODES.index(match["month"]) + 1, year)


def futures_symbol(root: str, month: int, year: int) -> str:
    """`ESZ6` style: root, month code, last digit of the year."""
    return f"{root.upper()}{MONTH_CODES[month - 1]}{year % 10}"


def specs_with_overrides(overrides: Mapping[str, ContractSpec]) -> Mapping[str, ContractSpec]:
    """The table with an account's own specs in place of (or beside) the defaults."""
    return {**CONTRACT_SPECS, **{root.upper(): spec for root, spec in overrides.items()}}
