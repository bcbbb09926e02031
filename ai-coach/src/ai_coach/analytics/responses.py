"""The body of `GET /v1/analytics`: a local model until the contracts carry one.

Amounts, ratios and fractions are decimal strings on the wire; None is "not defined for
this sample" and is never shown as zero.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from ai_coach.analytics.breakdown import Summary


class MetricsBody(BaseModel):
    """Every metric of one sample of closed trades."""

    model_config = ConfigDict(extra="forbid")

    trades: int
    wins: int
    losses: int
    breakevens: int
    net_pnl: Decimal
    win_rate: Decimal | None
    win_rate_excluding_breakevens: Decimal | None
    average_win: Decimal | None
    average_loss: Decimal | None
    payoff_ratio: Decimal | None
    profit_factor: Decimal | None
    no_losses: bool
    expectancy: Decimal | None
    expectancy_r: Decimal | None
    trades_with_r: int
    largest_win: Decimal | None
    largest_loss: Decimal | None
    max_drawdown: Decimal
    max_drawdown_percent: Decimal | None
    max_drawdown_seconds: int
    max_drawdown_recovered: bool
    max_consecutive_wins: int
    max_consecutive_losses: int
    average_holding_seconds_winners: Decimal | None
    average_holding_seconds_losers: Decimal | None
    sharpe: Decimal | None
    sortino: Decimal | None

    @classmethod
    def of(cls, summary: Summary) -> MetricsBody:
        """The wire form of a summary."""
        return cls(
            trades=summary.trades,
            wins=summary.wins,
            losses=summary.losses,
            breakevens=summary.breakevens,
            net_pnl=summary.net_pnl,
            win_rate=summary.win_rate,
            win_rate_excluding_breakevens=summary.win_rate_excluding_breakevens,
            average_win=summary.average_win,
            average_loss=summary.average_loss,
            payoff_ratio=summary.payoff_ratio,
            profit_factor=summary.profit_factor.value,
            no_losses=summary.profit_factor.no_losses,
            expectancy=summary.expectancy,
            expectancy_r=summary.expectancy_r,
            trades_with_r=summary.trades_with_r,
            largest_win=summary.largest_win,
            largest_loss=summary.largest_loss,
            max_drawdown=summary.drawdown.amount,
            max_drawdown_percent=summary.drawdown.percent,
            max_drawdown_seconds=summary.drawdown.seconds,
            max_drawdown_recovered=summary.drawdown.recovered,
            max_consecutive_wins=summary.streaks.wins,
            max_consecutive_losses=summary.streaks.losses,
            average_holding_seconds_winners=summary.holding_seconds.winners,
            average_holding_seconds_losers=summary.holding_seconds.losers,
            sharpe=summary.sharpe,
            sortino=summary.sortino,
        )


class AnalyticsGroup(BaseModel):
    """The metrics of one group (a symbol, an hour, a week, ...)."""

    model_config = ConfigDict(extra="forbid")

    key: str
    metrics: MetricsBody


class CurrencyAnalytics(BaseModel):
    """The metrics of one currency: overall and per group."""

    model_config = ConfigDict(extra="forbid")

    currency: str
    overall: MetricsBody
    groups: list[AnalyticsGroup]


class Analytics(BaseModel):
    """A trader's analytics for a date range, grouped by one dimension, per currency."""

    model_config = ConfigDict(extra="forbid")

    group_by: str
    start: dt.date | None
    end: dt.date | None
    time_zone: str
    items: list[CurrencyAnalytics]
