"""Instruments from broker symbols: OCC options, futures (from a contract-spec table), forex.

Futures expiries follow each exchange's last-trading-day rule for the contract month,
counting weekdays as business days (exchange holidays are not known here).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from tradeloop_contracts import Instrument

MONTH_CODES = "FGHJKMNQUVXZ"
OPTION_MULTIPLIER = Decimal(100)

_OCC = re.compile(r"([A-Z0-9.]{1,6})\s*(\d{2})(\d{2})(\d{2})([CP])(\d{8})")
_FUTURE = re.compile(r"([A-Z0-9]{1,4}?)([FGHJKMNQUVXZ])(\d{1,4})")
_NINJA_FUTURE = re.compile(r"([A-Z0-9]{1,4}) (\d{2})-(\d{2})")
_SCHWAB_OPTION = re.compile(r"([A-Z0-9.]{1,6}) (\d{1,2})/(\d{1,2})/(\d{4}) ([\d.]+) ([CP])")
_ROBINHOOD_OPTION = re.compile(
    r"([A-Z0-9.]{1,6}) (\d{1,2})/(\d{1,2})/(\d{4}) (CALL|PUT) \$([\d,.]+)", re.I
)
_TRADESTATION_OPTION = re.compile(r"([A-Z0-9.]{1,6}) (\d{2})(\d{2})(\d{2})([CP])([\d.]+)")
_MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


class UnknownInstrumentError(ValueError):
    """A symbol that cannot be read as the instrument its file says it is."""


def _weekdays_back(day: dt.date, count: int) -> dt.date:
    while count:
        day -= dt.timedelta(days=1)
        if day.weekday() < 5:
            count -= 1
    return day


def _last_weekday(year: int, month: int) -> dt.date:
    day = dt.date(year, month, calendar.monthrange(year, month)[1])
    return day if day.weekday() < 5 else _weekdays_back(day, 1)


def _nth_weekday(year: int, month: int, weekday: int, nth: int) -> dt.date:
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))


def _previous_month(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


def _third_friday(year: int, month: int) -> dt.date:
    return _nth_weekday(year, month, calendar.FRIDAY, 3)


def _currency_futures(year: int, month: int) -> dt.date:
    # Two business days before the third Wednesday.
    return _weekdays_back(_nth_weekday(year, month, calendar.WEDNESDAY, 3), 2)


def _crude_oil(year: int, month: int) -> dt.date:
    # Three business days before the 25th of the month before the contract month.
    before = dt.date(*_previous_month(year, month), 25)
    if before.weekday() >= 5:
        before = _weekdays_back(before, 1)
    return _weekdays_back(before, 3)


def _natural_gas(year: int, month: int) -> dt.date:
    return _weekdays_back(dt.date(year, month, 1), 3)


def _refined_products(year: int, month: int) -> dt.date:
    return _last_weekday(*_previous_month(year, month))


def _metals(year: int, month: int) -> dt.date:
    return _weekdays_back(_last_weekday(year, month), 2)


def _grains(year: int, month: int) -> dt.date:
    return _weekdays_back(dt.date(year, month, 15), 1)


def _treasuries(year: int, month: int) -> dt.date:
    return _weekdays_back(_last_weekday(year, month), 7)


def _last_friday(year: int, month: int) -> dt.date:
    day = dt.date(year, month, calendar.monthrange(year, month)[1])
    return day - dt.timedelta(days=(day.weekday() - calendar.FRIDAY) % 7)


ExpiryRule = Callable[[int, int], dt.date]


@dataclass(frozen=True)
class FuturesSpec:
    """A futures contract: where it trades, its point value, tick and last trading day."""

    exchange: str
    multiplier: Decimal
    tick_size: Decimal
    expiry: ExpiryRule


def _spec(exchange: str, multiplier: str, tick: str, expiry: ExpiryRule) -> FuturesSpec:
    return FuturesSpec(exchange, Decimal(multiplier), Decimal(tick), expiry)


FUTURES_SPECS: Mapping[str, FuturesSpec] = {
    "ES": _spec("CME", "50", "0.25", _third_friday),
    "MES": _spec("CME", "5", "0.25", _third_friday),
    "NQ": _spec("CME", "20", "0.25", _third_friday),
    "MNQ": _spec("CME", "2", "0.25", _third_friday),
    "RTY": _spec("CME", "50", "0.1", _third_friday),
    "M2K": _spec("CME", "5", "0.1", _third_friday),
    "YM": _spec("CBOT", "5", "1", _third_friday),
    "MYM": _spec("CBOT", "0.5", "1", _third_friday),
    "6E": _spec("CME", "125000", "0.00005", _currency_futures),
    "M6E": _spec("CME", "12500", "0.0001", _currency_futures),
    "6J": _spec("CME", "12500000", "0.0000005", _currency_futures),
    "6B": _spec("CME", "62500", "0.0001", _currency_futures),
    "6A": _spec("CME", "100000", "0.00005", _currency_futures),
    "6C": _spec("CME", "100000", "0.00005", _currency_futures),
    "BTC": _spec("CME", "5", "5", _last_friday),
    "MBT": _spec("CME", "0.1", "5", _last_friday),
    "ETH": _spec("CME", "50", "0.5", _last_friday),
    "MET": _spec("CME", "0.1", "0.5", _last_friday),
    "ZB": _spec("CBOT", "1000", "0.03125", _treasuries),
    "ZN": _spec("CBOT", "1000", "0.015625", _treasuries),
    "ZF": _spec("CBOT", "1000", "0.0078125", _treasuries),
    "ZT": _spec("CBOT", "2000", "0.00390625", _treasuries),
    "ZC": _spec("CBOT", "50", "0.25", _grains),
    "ZS": _spec("CBOT", "50", "0.25", _grains),
    "ZW": _spec("CBOT", "50", "0.25", _grains),
    "CL": _spec("NYMEX", "1000", "0.01", _crude_oil),
    "MCL": _spec("NYMEX", "100", "0.01", _crude_oil),
    "QM": _spec("NYMEX", "500", "0.025", _crude_oil),
    "NG": _spec("NYMEX", "10000", "0.001", _natural_gas),
    "RB": _spec("NYMEX", "42000", "0.0001", _refined_products),
    "HO": _spec("NYMEX", "42000", "0.0001", _refined_products),
    "GC": _spec("COMEX", "100", "0.1", _metals),
    "MGC": _spec("COMEX", "10", "0.1", _metals),
    "SI": _spec("COMEX", "5000", "0.005", _metals),
    "SIL": _spec("COMEX", "1000", "0.005", _metals),
    "HG": _spec("COMEX", "25000", "0.0005", _metals),
}


def occ_option(symbol: str, *, multiplier: Decimal = OPTION_MULTIPLIER) -> Instrument:
    """The option an OCC symbol (`AAPL  240315C00175000`, spaces optional) names.

    Raises UnknownInstrumentError when `symbol` is not an OCC symbol.
    """
    match = _OCC.fullmatch(symbol.strip().upper())
    if match is None:
        raise UnknownInstrumentError(f"{symbol!r} is not an OCC option symbol")
    underlying, year, month, day, right, strike = match.groups()
    try:
        expiry = dt.date(2000 + int(year), int(month), int(day))
    except ValueError:
        raise UnknownInstrumentError(f"{symbol!r} has no valid expiry date") from None
    return option(underlying, expiry, Decimal(strike) / 1000, right, multiplier=multiplier)


def _option_of(
    symbol: str, underlying: str, year: str, month: str, day: str, strike: str, right: str
) -> Instrument:
    try:
        expiry = dt.date(int(year), int(month), int(day))
        price = Decimal(strike.replace(",", ""))
    except (ValueError, ArithmeticError):
        raise UnknownInstrumentError(f"{symbol!r} has no valid expiry or strike") from None
    return option(underlying, expiry, price, right)


def option_from_schwab(symbol: str) -> Instrument:
    """The option a Schwab symbol (`AAPL 03/15/2024 180.00 C`) names.

    Raises UnknownInstrumentError when `symbol` is not one.
    """
    match = _SCHWAB_OPTION.fullmatch(" ".join(symbol.upper().split()))
    if match is None:
        raise UnknownInstrumentError(
            f"{symbol!r} is not an option such as 'AAPL 03/15/2024 180.00 C'"
        )
    underlying, month, day, year, strike, right = match.groups()
    return _option_of(symbol, underlying, year, month, day, strike, right)


def option_from_robinhood(description: str) -> Instrument:
    """The option a Robinhood description (`AAPL 3/15/2024 Call $180.00`) names; text
    before it (`Option Expiration for`) is ignored.

    Raises UnknownInstrumentError when `description` names no option.
    """
    match = _ROBINHOOD_OPTION.search(" ".join(description.split()))
    if match is None:
        raise UnknownInstrumentError(
            f"{description!r} is not an option such as 'AAPL 3/15/2024 Call $180.00'"
        )
    underlying, month, day, year, right, strike = match.groups()
    return _option_of(description, underlying, year, month, day, strike, right)


def option_from_tradestation(symbol: str) -> Instrument:
    """The option a TradeStation symbol (`AAPL 240315C180`, strike unpadded) names.

    Raises UnknownInstrumentError when `symbol` is not one.
    """
    match = _TRADESTATION_OPTION.fullmatch(" ".join(symbol.upper().split()))
    if match is None:
        raise UnknownInstrumentError(f"{symbol!r} is not an option such as 'AAPL 240315C180'")
    underlying, year, month, day, right, strike = match.groups()
    return _option_of(symbol, underlying, f"20{year}", month, day, strike, right)


def option_from_parts(underlying: str, expiry: str, strike: str, right: str) -> Instrument:
    """The option of a statement's separate columns: expiry `15 MAR 24` or `15 MAR 2024`.

    Raises UnknownInstrumentError when the parts make no option.
    """
    words = expiry.upper().split()
    if len(words) < 3 or words[1] not in _MONTH_NAMES or not words[0].isdigit():
        raise UnknownInstrumentError(f"expiry {expiry!r} is not a date such as '15 MAR 24'")
    day, month, year = words[0], str(_MONTH_NAMES.index(words[1]) + 1), words[2]
    year = f"20{year}" if len(year) == 2 else year
    return _option_of(underlying, underlying, year, month, day, strike, right)


def is_occ_symbol(symbol: str) -> bool:
    """Whether `symbol` is an OCC option symbol (padded or not)."""
    return _OCC.fullmatch(symbol.strip().upper()) is not None


def option(
    underlying: str,
    expiry: dt.date,
    strike: Decimal,
    right: str,
    *,
    multiplier: Decimal = OPTION_MULTIPLIER,
    currency: str = "USD",
) -> Instrument:
    """A listed option, its symbol in OCC form; `right` is C, P, CALL or PUT (any case).

    Raises UnknownInstrumentError for another right or a strike out of OCC's range.
    """
    side = right.strip().upper()[:1]
    if side not in ("C", "P") or not Decimal(0) <= strike < Decimal(100_000):
        raise UnknownInstrumentError(f"option right {right!r} or strike {strike} is not valid")
    root = underlying.strip().upper()
    symbol = f"{root:<6}{expiry:%y%m%d}{side}{int(strike * 1000):08d}"
    return Instrument(
        asset_class="option",
        symbol=symbol,
        currency=currency,
        multiplier=multiplier,
        underlying=root,
        expiry=expiry,
        strike=strike,
        right="call" if side == "C" else "put",
    )


def future(root: str, year: int, month: int, *, expiry: dt.date | None = None) -> Instrument:
    """A futures contract of the spec table by root and contract month; `ESZ4` style symbol.

    `expiry`, when the file gives it, wins over the table's rule. Raises
    UnknownInstrumentError for a root not in FUTURES_SPECS or an impossible month.
    """
    spec = FUTURES_SPECS.get(root.upper())
    if spec is None:
        raise UnknownInstrumentError(f"futures root {root!r} is not a known contract")
    if not 1 <= month <= 12 or not 1970 <= year <= 2100:
        raise UnknownInstrumentError(f"contract month {year}-{month:02} is not valid")
    return Instrument(
        asset_class="future",
        symbol=f"{root.upper()}{MONTH_CODES[month - 1]}{year % 10}",
        multiplier=spec.multiplier,
        root=root.upper(),
        expiry=expiry or spec.expiry(year, month),
        exchange=spec.exchange,
        tick_size=spec.tick_size,
    )


def future_from_code(code: str, traded_on: dt.date) -> Instrument:
    """The contract a month-code symbol names: `ESZ4`, `MNQH25`, `CLF2025`.

    A one- or two-digit year is the first such year whose contract month is not before
    `traded_on` (a contract cannot trade after its month). Raises UnknownInstrumentError.
    """
    match = _FUTURE.fullmatch(code.strip().upper())
    if match is None:
        raise UnknownInstrumentError(f"{code!r} is not a futures symbol such as ESZ4")
    root, month_code, digits = match.groups()
    month = MONTH_CODES.index(month_code) + 1
    return future(root, _contract_year(digits, month, traded_on), month)


def future_from_ninjatrader(name: str) -> Instrument:
    """The contract a NinjaTrader instrument name (`ES 03-24`) names.

    Raises UnknownInstrumentError.
    """
    match = _NINJA_FUTURE.fullmatch(name.strip().upper())
    if match is None:
        raise UnknownInstrumentError(f"{name!r} is not a futures name such as 'ES 03-24'")
    root, month, year = match.groups()
    return future(root, 2000 + int(year), int(month))


def _contract_year(digits: str, month: int, traded_on: dt.date) -> int:
    if len(digits) == 4:
        return int(digits)
    if len(digits) == 3:
        raise UnknownInstrumentError(f"year {digits!r} has three digits")
    span = 100 if len(digits) == 2 else 10
    year = traded_on.year - traded_on.year % span + int(digits)
    while (year, month) < (traded_on.year, traded_on.month):
        year += span
    return year


def forex(pair: str) -> Instrument:
    """A currency pair (`EUR.USD`, `EUR/USD`, `EURUSD`), priced in its quote currency.

    Raises UnknownInstrumentError when `pair` is not two ISO currency codes.
    """
    letters = re.sub(r"[./\-\s]", "", pair.strip().upper())
    if not re.fullmatch(r"[A-Z]{6}", letters):
        raise UnknownInstrumentError(f"{pair!r} is not a currency pair such as EUR.USD")
    return Instrument(
        asset_class="forex", symbol=f"{letters[:3]}.{letters[3:]}", currency=letters[3:]
    )


def crypto(base: str, quote: str) -> Instrument:
    """A crypto pair such as `BTC-USD`, priced in `quote`; quantities may be fractional."""
    return Instrument(
        asset_class="crypto", symbol=f"{base.upper()}-{quote.upper()}", currency=quote.upper()
    )
