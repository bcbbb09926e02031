"""Every metric of a sample of trades, overall and grouped by one dimension."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, get_args
from zoneinfo import ZoneInfo

from ai_coach.analytics.metrics import (
    CLOSED_AT,
    ClosedTrade,
    Drawdown,
    HoldingTimes,
    ProfitFactor,
    Streaks,
    average_holding_seconds,
    average_loss,
    average_win,
    expectancy,
    expectancy_r,
    payoff_ratio,
    profit_factor,
    tally_and_drawdown,
    win_rate,
    win_rate_excluding_breakevens,
)
from ai_coach.analytics.returns import UTC, daily_pnl, daily_returns, sharpe, sortino

Dimension = Literal[
    "day",
    "week",
    "month",
    "account",
    "symbol",
    "asset_class",
    "tag",
    "playbook",
    "criterion",
    "weekday",
    "hour",
]
DIMENSIONS: tuple[str, ...] = get_args(Dimension)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
UNTAGGED = "(untagged)"
NO_PLAYBOOK = "(no playbook)"


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
    ordered = sorted(trades, key=CLOSED_AT)
    ratios: tuple[Decimal | None, Decimal | None] = (None, None)
    if starting_equity is not None:
        returns = daily_returns(daily_pnl(ordered, time_zone), starting_equity)
        ratios = (sharpe(returns), sortino(returns))
    counts, fall = tally_and_drawdown(ordered, starting_equity)
    return Summary(
        trades=counts.trades,
        wins=counts.wins,
        losses=counts.losses,
        breakevens=counts.breakevens,
        net_pnl=counts.net_pnl,
        win_rate=win_rate(counts),
        win_rate_excluding_breakevens=win_rate_excluding_breakevens(counts),
        average_win=average_win(counts),
        average_loss=average_loss(counts),
        payoff_ratio=payoff_ratio(counts),
        profit_factor=profit_factor(counts),
        expectancy=expectancy(counts),
        expectancy_r=expectancy_r(counts),
        trades_with_r=counts.trades_with_r,
        largest_win=counts.largest_win,
        largest_loss=counts.largest_loss,
        drawdown=fall,
        streaks=Streaks(wins=counts.longest_win_streak, losses=counts.longest_loss_streak),
        holding_seconds=average_holding_seconds(counts),
        sharpe=ratios[0],
        sortino=ratios[1],
    )


def _week(moment: dt.datetime) -> str:
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


def _month(moment: dt.datetime) -> str:
    return f"{moment.year}-{moment.month:02d}"


# The one group of a trade, for every dimension but those of _MANY_KEYS.
_SINGLE_KEYS: dict[str, Callable[[ClosedTrade, ZoneInfo], str]] = {
    "day": lambda trade, zone: trade.closed_in(zone).date().isoformat(),
    "week": lambda trade, zone: _week(trade.closed_in(zone)),
    "month": lambda trade, zone: _month(trade.closed_in(zone)),
    "account": lambda trade, _: str(trade.account_id),
    "symbol": lambda trade, _: trade.symbol,
    "asset_class": lambda trade, _: trade.asset_class,
    "playbook": lambda trade, _: trade.playbook or NO_PLAYBOOK,
    "weekday": lambda trade, zone: WEEKDAYS[trade.opened_in(zone).weekday()],
    "hour": lambda trade, zone: f"{trade.opened_in(zone).hour:02d}",
}
# The groups of a trade where it may have several: each of its tags (or untagged), each
# criterion of its playbook met or missed (none without a playbook).
_MANY_KEYS: dict[str, Callable[[ClosedTrade], tuple[str, ...]]] = {
    "tag": lambda trade: trade.tags or (UNTAGGED,),
    "criterion": lambda trade: trade.criteria,
}


def group_keys(trade: ClosedTrade, dimension: Dimension, time_zone: ZoneInfo = UTC) -> list[str]:
    """The groups a trade belongs to: one, except for tags (each of its tags, or untagged)
    and criteria (`<playbook> · <criterion> · met|missed` for each criterion of its
    playbook; none without a playbook). A trade under no playbook is `(no playbook)`.

    Time dimensions use the position's open in the trader's time zone for weekday and
    hour (when the decision was taken) and its closing day for day, week and month
    (when the P&L was realised).
    """
    many = _MANY_KEYS.get(dimension)
    if many is not None:
        return list(many(trade))
    return [_SINGLE_KEYS[dimension](trade, time_zone)]


def group(
    trades: Sequence[ClosedTrade], dimension: Dimension, time_zone: ZoneInfo = UTC
) -> dict[str, list[ClosedTrade]]:
    """The trades of each group, in the order given; groups in key order (weekdays Monday first)."""
    groups: dict[str, list[ClosedTrade]] = defaultdict(list)
    many = _MANY_KEYS.get(dimension)
    if many is not None:
        for trade in trades:
            for key in many(trade):
                groups[key].append(trade)
    else:
        key_of = _SINGLE_KEYS[dimension]
        for trade in trades:
            groups[key_of(trade, time_zone)].append(trade)
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
        day = trade.closed_in(time_zone).date()
        if (start is None or day >= start) and (end is None or day <= end):
            chosen.append(trade)
    return chosen
