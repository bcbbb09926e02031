"""Dashboard statistics, defined once (see the metric definitions in the README)."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from ._base import Amount, Currency, ResponseBody


class DailyPnl(ResponseBody):
    """Closed-position results of one trading day."""

    day: dt.date
    net_pnl: Amount
    trades: int


class EquityPoint(ResponseBody):
    """Cumulative realised net P&L at the end of a trading day."""

    day: dt.date
    cumulative_net_pnl: Amount


class Statistics(ResponseBody):
    """Statistics of closed positions over a period. Absent ratios mean 'not defined'."""

    currency: Currency
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    trades: int
    wins: int
    losses: int
    breakevens: int
    net_pnl: Amount
    gross_pnl: Amount
    fees: Amount
    win_rate: Amount | None = Field(default=None, description="wins / all closed, 0..1.")
    win_rate_excluding_breakevens: Amount | None = None
    profit_factor: Amount | None = Field(default=None, description="Absent with no losses.")
    no_losses: bool = False
    payoff_ratio: Amount | None = None
    expectancy: Amount | None = None
    expectancy_r: Amount | None = Field(
        default=None, description="Mean realised R of the positions with an initial stop."
    )
    trades_with_r: int | None = Field(default=None, ge=0)
    average_win: Amount | None = None
    average_loss: Amount | None = None
    max_drawdown: Amount
    equity_curve: list[EquityPoint]
    calendar: list[DailyPnl]
