"""Every metric of a sample of trades, overall and grouped by one dimension."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, get_args
from zoneinfo import ZoneInfo

from ai_coach.analytics.metrics import (
    ClosedTrade,
    Drawdown,
    HoldingTimes,
    ProfitFactor,
    Streaks,
    average_holding_seconds,
    average_loss,
    average_win,
    drawdown,
    expectancy,
    expectancy_r,
    largest_loss,
    largest_win,
    payoff_ratio,
    profit_factor,
    streaks,
    win_rate,
    win_rate_excluding_breakevens,
)
from ai_coach.analytics.returns import UTC, daily_pnl, daily_returns, sharpe, sortino

Dimension = Literal[
    "day", "week", "month", "account", "symbol", "asset_class", "tag", "weekday", "hour"
]
DIMENSIONS: tuple[str, ...] = get_args(Dimension)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
UNTAGGED = "(untagged)"


@dataclass(frozen=True)
class Summary:
    """Every metric of one sample; None where a metric is undefined for it."""

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
    profit_factor: ProfitFactor
    expectancy: Decimal | None
    expectancy_r: Decimal | None
    trades_with_r: int
    largest_win: Decimal | None
    largest_loss: Decimal | None
    drawdown: Drawdown
    streaks: Streaks
    holding_seconds: HoldingTimes
    sharpe: Decimal | None
    sortino: Decimal | None


def summarize(
    trades: Sequence[ClosedTrade],
    starting_equity: Decimal | None = None,
    time_zone: ZoneInfo = UTC,
) -> Summary:
    """The metrics of a sample; Sharpe and Sortino only with a starting equity.

    Raises ValueError when the starting equity is not positive or is wiped out.
    """
    ordered = sorted(trades, key=lambda trade: trade.closed_at)
    ratios: tuple[Decimal | None, Decimal | None] = (None, None)
    if starting_equity is not None:
        returns = daily_returns(daily_pnl(ordered, time_zone), starting_equity)
        ratios = (sharpe(returns), sortino(returns))
    return Summary(
        trades=len(ordered),
        wins=sum(trade.outcome == "win" for trade in ordered),
        losses=sum(trade.outcome == "loss" for trade in ordered),
        breakevens=sum(trade.outcome == "breakeven" for trade in ordered),
        net_pnl=sum((trade.net_pnl for trade in ordered), Decimal(0)),
        win_rate=win_rate(ordered),
        win_rate_excluding_breakevens=win_rate_excluding_breakevens(ordered),
        average_win=average_win(ordered),
        average_loss=average_loss(ordered),
        payoff_ratio=payoff_ratio(ordered),
        profit_factor=profit_factor(ordered),
        expectancy=expectancy(ordered),
        expectancy_r=expectancy_r(ordered),
        trades_with_r=sum(trade.r_multiple is not None for trade in ordered),
        largest_win=largest_win(ordered),
        largest_loss=largest_loss(ordered),
        drawdown=drawdown(ordered, starting_equity),
        streaks=streaks(ordered),
        holding_seconds=average_holding_seconds(ordered),
        sharpe=ratios[0],
        sortino=ratios[1],
    )


def group_keys(trade: ClosedTrade, dimension: Dimension, time_zone: ZoneInfo = UTC) -> list[str]:
    """The groups a trade belongs to: one, except for tags (each of its tags, or untagged).

    Time dimensions use the position's open in the trader's time zone for weekday and
    hour (when the decision was taken) and its closing day for day, week and month
    (when the P&L was realised).
    """
    match dimension:
        case "day":
            return [trade.closed_at.astimezone(time_zone).date().isoformat()]
        case "week":
            year, week, _ = trade.closed_at.astimezone(time_zone).isocalendar()
            return [f"{year}-W{week:02d}"]
        case "month":
            closed = trade.closed_at.astimezone(time_zone)
            return [f"{closed.year}-{closed.month:02d}"]
        case "account":
            return [str(trade.account_id)]
        case "symbol":
            return [trade.symbol]
        case "asset_class":
            return [trade.asset_class]
        case "tag":
            return list(trade.tags) or [UNTAGGED]
        case "weekday":
            return [WEEKDAYS[trade.opened_at.astimezone(time_zone).weekday()]]
        case "hour":
            return [f"{trade.opened_at.astimezone(time_zone).hour:02d}"]


def group(
    trades: Sequence[ClosedTrade], dimension: Dimension, time_zone: ZoneInfo = UTC
) -> dict[str, list[ClosedTrade]]:
    """The trades of each group, groups in key order (weekdays Monday first)."""
    groups: dict[str, list[ClosedTrade]] = defaultdict(list)
    for trade in trades:
        for key in group_keys(trade, dimension, time_zone):
            groups[key].append(trade)
    if dimension == "weekday":
        return {day: groups[day] for day in WEEKDAYS if day in groups}
    return dict(sorted(groups.items()))


def within(
    trades: Sequence[ClosedTrade],
    start: dt.date | None,
    end: dt.date | None,
    time_zone: ZoneInfo = UTC,
) -> list[ClosedTrade]:
    """The trades closed on a day from `start` to `end`, both inclusive (open-ended if None)."""
    chosen = []
    for trade in trades:
        day = trade.closed_at.astimezone(time_zone).date()
        if (start is None or day >= start) and (end is None or day <= end):
            chosen.append(trade)
    return chosen
