"""The body of `GET /v1/analytics` from a summary: the contracts' `Analytics` models.

Amounts, ratios and fractions are decimal strings on the wire; None is "not defined for
this sample" and is never shown as zero.
"""

from __future__ import annotations

from ai_coach.analytics.breakdown import Summary
from ai_coach.contracts.analytics import MetricsBody


def metrics_body(summary: Summary) -> MetricsBody:
    """The wire form of a summary."""
    return MetricsBody(
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
