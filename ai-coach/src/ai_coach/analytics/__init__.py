"""Trading metrics as pure functions on Decimal, one definition per number."""

from ai_coach.analytics.metrics import (
    ClosedTrade,
    HoldingTimes,
    Outcome,
    ProfitFactor,
    average_holding_seconds,
    average_loss,
    average_win,
    classify,
    expectancy,
    max_drawdown,
    payoff_ratio,
    profit_factor,
    win_rate,
    win_rate_excluding_breakevens,
)

__all__ = [
    "ClosedTrade",
    "HoldingTimes",
    "Outcome",
    "ProfitFactor",
    "average_holding_seconds",
    "average_loss",
    "average_win",
    "classify",
    "expectancy",
    "max_drawdown",
    "payoff_ratio",
    "profit_factor",
    "win_rate",
    "win_rate_excluding_breakevens",
]
