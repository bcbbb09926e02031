"""How detectors write their numbers: amounts, durations and the period a sample covers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal

from ai_coach.analytics import ClosedTrade

CENT = Decimal("0.01")


def money(amount: Decimal) -> Decimal:
    """The amount rounded half-even to the cent, so it always prints as plain digits."""
    return amount.quantize(CENT, rounding=ROUND_HALF_EVEN)


def figure(value: Decimal, places: int = 2) -> str:
    """A decimal figure as evidence text, rounded to `places` decimals."""
    return format(value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN), "f")


def duration(seconds: Decimal) -> str:
    """A holding time for people: `3d 4h`, `2h 05m`, `12m 30s` or `45s`."""
    total = int(seconds.to_integral_value(rounding=ROUND_HALF_EVEN))
    days, rest = divmod(total, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def period(trades: Sequence[ClosedTrade]) -> tuple[dt.date, dt.date]:
    """The first and last closing dates (UTC) of a non-empty sample."""
    days = [trade.closed_at.astimezone(dt.UTC).date() for trade in trades]
    return min(days), max(days)
