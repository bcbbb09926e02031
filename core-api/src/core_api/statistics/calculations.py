"""The canonical trading metrics over closed positions: pure functions, no database.

- Outcome is judged on net P&L with the account's breakeven band (at matching time).
- Win rate = wins / all closed; also wins / (wins + losses), labelled as such.
- Profit factor = Σ net of wins / |Σ net of losses|; with no losses it is absent and
  `no_losses` is set, never a large number.
- Payoff ratio = mean win / |mean loss|. Expectancy = mean net P&L per closed position.
- Max drawdown = the largest peak-to-trough fall of cumulative realised net P&L,
  starting from zero before the first trade, as a positive amount.
- A trading day is the closing time's date in the account's time zone.

Figures that need a division are rounded half-even to 4 places; sums stay exact.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Literal

from tradeloop_contracts import DailyPnl, EquityPoint, Statistics

PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class ClosedTrade:
    """What the statistics need of a closed position."""

    day: dt.date
    net: Decimal
    gross: Decimal
    fees: Decimal
    outcome: Literal["win", "loss", "breakeven"]


def _ratio(numerator: Decimal, denominator: Decimal) -> Decimal:
    return (numerator / denominator).quantize(PLACES, rounding=ROUND_HALF_EVEN)


def compute(
    trades: Sequence[ClosedTrade],
    currency: str,
    period_start: dt.date | None = None,
    period_end: dt.date | None = None,
) -> Statistics:
    """The statistics of `trades`, taken in the order given (the order they closed)."""
    wins = [trade.net for trade in trades if trade.outcome == "win"]
    losses = [trade.net for trade in trades if trade.outcome == "loss"]
    count = len(trades)
    net = sum((trade.net for trade in trades), Decimal(0))
    decided = len(wins) + len(losses)
    average_win = _ratio(sum(wins, Decimal(0)), Decimal(len(wins))) if wins else None
    average_loss = _ratio(sum(losses, Decimal(0)), Decimal(len(losses))) if losses else None
    return Statistics(
        currency=currency,
        period_start=period_start,
        period_end=period_end,
        trades=count,
        wins=len(wins),
        losses=len(losses),
        breakevens=count - decided,
        net_pnl=net,
        gross_pnl=sum((trade.gross for trade in trades), Decimal(0)),
        fees=sum((trade.fees for trade in trades), Decimal(0)),
        win_rate=_ratio(Decimal(len(wins)), Decimal(count)) if count else None,
        win_rate_excluding_breakevens=(
            _ratio(Decimal(len(wins)), Decimal(decided)) if decided else None
        ),
        profit_factor=(_ratio(sum(wins, Decimal(0)), -sum(losses, Decimal(0))) if losses else None),
        no_losses=count > 0 and not losses,
        payoff_ratio=(
            _ratio(average_win, -average_loss)
            if average_win is not None and average_loss is not None and average_loss != 0
            else None
        ),
        expectancy=_ratio(net, Decimal(count)) if count else None,
        average_win=average_win,
        average_loss=average_loss,
        max_drawdown=max_drawdown([trade.net for trade in trades]),
        equity_curve=equity_curve(trades),
        calendar=calendar(trades),
    )


def max_drawdown(results: Sequence[Decimal]) -> Decimal:
    """The largest fall from a peak of the running sum (starting at zero), as a positive amount."""
    peak = cumulative = deepest = Decimal(0)
    for result in results:
        cumulative += result
        peak = max(peak, cumulative)
        deepest = max(deepest, peak - cumulative)
    return deepest


def calendar(trades: Sequence[ClosedTrade]) -> list[DailyPnl]:
    """Net P&L and number of trades per trading day, oldest first."""
    days: dict[dt.date, tuple[Decimal, int]] = {}
    for trade in trades:
        total, count = days.get(trade.day, (Decimal(0), 0))
        days[trade.day] = (total + trade.net, count + 1)
    return [
        DailyPnl(day=day, net_pnl=total, trades=count)
        for day, (total, count) in sorted(days.items())
    ]


def equity_curve(trades: Sequence[ClosedTrade]) -> list[EquityPoint]:
    """Cumulative realised net P&L at the end of each trading day."""
    points = []
    cumulative = Decimal(0)
    for day in calendar(trades):
        cumulative += day.net_pnl
        points.append(EquityPoint(day=day.day, cumulative_net_pnl=cumulative))
    return points
