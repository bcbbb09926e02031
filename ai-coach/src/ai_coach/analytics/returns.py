"""Daily account returns and the return statistics built on them (Sharpe, Sortino).

They need the account's equity: without a starting equity they are not computed (there
is no per-trade pseudo-Sharpe). Cash flows are not known to the coach, so equity is the
starting equity plus cumulative realised net P&L.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from zoneinfo import ZoneInfo

from ai_coach.analytics.metrics import ZERO, ClosedTrade

PERIODS_PER_YEAR = 252
UTC = ZoneInfo("UTC")


def trading_day(moment: dt.datetime, time_zone: ZoneInfo = UTC) -> dt.date:
    """The date of a moment in the trader's time zone."""
    return moment.astimezone(time_zone).date()


def daily_pnl(trades: Sequence[ClosedTrade], time_zone: ZoneInfo = UTC) -> dict[dt.date, Decimal]:
    """Net P&L per weekday from the first to the last closing day; quiet weekdays are 0."""
    by_day: dict[dt.date, Decimal] = defaultdict(lambda: ZERO)
    for trade in trades:
        by_day[trade.closed_in(time_zone).date()] += trade.net_pnl
    if not by_day:
        return {}
    day, last = min(by_day), max(by_day)
    series = {}
    while day <= last:
        if day.weekday() < 5 or day in by_day:
            series[day] = by_day.get(day, ZERO)
        day += dt.timedelta(days=1)
    return series


def daily_returns(pnl_by_day: dict[dt.date, Decimal], starting_equity: Decimal) -> list[Decimal]:
    """Each day's P&L over the equity at the end of the day before, in day order.

    Raises ValueError when the starting equity is not positive or equity is wiped out.
    """
    if starting_equity <= 0:
        raise ValueError("the starting equity must be a positive amount")
    equity = starting_equity
    returns = []
    for day in sorted(pnl_by_day):
        if equity <= 0:
            raise ValueError(f"equity is not positive before {day.isoformat()}")
        returns.append(pnl_by_day[day] / equity)
        equity += pnl_by_day[day]
    return returns


def sharpe(returns: Sequence[Decimal]) -> Decimal | None:
    """Annualised Sharpe ratio: mean / sample standard deviation x √252, risk-free 0.

    None with fewer than two days or no variation.
    """
    if len(returns) < 2:
        return None
    mean = sum(returns, ZERO) / len(returns)
    variance = sum(((value - mean) ** 2 for value in returns), ZERO) / (len(returns) - 1)
    if variance == 0:
        return None
    return mean / variance.sqrt() * Decimal(PERIODS_PER_YEAR).sqrt()


def sortino(returns: Sequence[Decimal]) -> Decimal | None:
    """Annualised Sortino ratio: mean / downside deviation x √252, risk-free 0.

    The downside deviation is √(Σ min(r, 0)² / N) over all N days. None without a
    losing day.
    """
    if not returns:
        return None
    downside = sum((min(value, ZERO) ** 2 for value in returns), ZERO) / len(returns)
    if downside == 0:
        return None
    mean = sum(returns, ZERO) / len(returns)
    return mean / downside.sqrt() * Decimal(PERIODS_PER_YEAR).sqrt()
