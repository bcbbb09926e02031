"""Coach analytics: every metric of a sample of closed trades, overall and per group.

Amounts, ratios and fractions are decimal strings on the wire; absent (null) means
"not defined for this sample" and is never shown as zero (see the METRICS definitions).
"""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from ._base import Amount, Currency, ResponseBody


class MetricsBody(ResponseBody):
    """Every metric of one sample of closed trades."""

    trades: int = Field(ge=0)
    wins: int = Field(ge=0)
    losses: int = Field(ge=0)
    breakevens: int = Field(ge=0)
    net_pnl: Amount
    win_rate: Amount | None = None
    win_rate_excluding_breakevens: Amount | None = None
    average_win: Amount | None = None
    average_loss: Amount | None = None
    payoff_ratio: Amount | None = None
    profit_factor: Amount | None = Field(default=None, description="Absent with no losses.")
    no_losses: bool = False
    expectancy: Amount | None = None
    expectancy_r: Amount | None = Field(
        default=None, description="Mean R over the trades with an initial stop."
    )
    trades_with_r: int = Field(default=0, ge=0)
    largest_win: Amount | None = None
    largest_loss: Amount | None = None
    max_drawdown: Amount
    max_drawdown_percent: Amount | None = None
    max_drawdown_seconds: int = Field(default=0, ge=0)
    max_drawdown_recovered: bool = True
    max_consecutive_wins: int = Field(default=0, ge=0)
    max_consecutive_losses: int = Field(default=0, ge=0)
    average_holding_seconds_winners: Amount | None = None
    average_holding_seconds_losers: Amount | None = None
    sharpe: Amount | None = Field(default=None, description="Only with account equity.")
    sortino: Amount | None = Field(default=None, description="Only with account equity.")


class AnalyticsGroup(ResponseBody):
    """The metrics of one group (a symbol, an hour, a week, ...)."""

    key: str
    metrics: MetricsBody


class CurrencyAnalytics(ResponseBody):
    """The metrics of one currency: overall and per group."""

    currency: Currency
    overall: MetricsBody
    groups: list[AnalyticsGroup]


class Analytics(ResponseBody):
    """A trader's analytics for a date range, grouped by one dimension, per currency."""

    group_by: str
    start: dt.date | None = None
    end: dt.date | None = None
    time_zone: str
    items: list[CurrencyAnalytics]
