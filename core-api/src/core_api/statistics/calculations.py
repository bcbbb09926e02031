"""The canonical trading metrics over closed positions: pure functions, no database.

- Outcome is judged on net P&L with the account's breakeven band (at matching time).
- Win rate = wins / all closed; also wins / (wins + losses), labelled as such.
- Profit factor = Σ net of wins / |Σ net of losses|; with no losses it is absent and
  `no_losses` is set, never a large number.
- Payoff ratio = mean win / |mean loss|. Expectancy = mean net P&L per closed position.
- R multiple = net P&L / (|average entry − initial stop| × size × multiplier), rounded
  half-even to 4 places; expectancy (R) = mean R over the closed positions that have one.
- Max drawdown = the largest peak-to-trough fall of cumulative realised net P&L at the
  end of each trading day, starting from zero before the first day, as a positive amount
  (the daily series quantstats and empyrical work on).
- A trading day is the session date the position closed on (see instruments.sessions).

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
    r: Decimal | None = None


def _ratio(numerator: Decimal, denominator: Decimal) -> Decimal:
    return (numerator / denominator).quantize(PLACES, rounding=ROUND_HALF_EVEN)


def rate(part: int, whole: int) -> Decimal | None:
    """`part` of `whole` as a fraction, half-even to 4 places; None when `whole` is 0."""
    if whole == 0:
        return None
    return _ratio(Decimal(part), Decimal(whole))


@dataclass(frozen=True)
class DayTotals:
    """Sums over the positions that closed on one trading day."""

    day: dt.date
    trades: int = 0
    wins: int = 0
    losses: int = 0
    net: Decimal = Decimal(0)
    gross: Decimal = Decimal(0)
    fees: Decimal = Decimal(0)
    win_total: Decimal = Decimal(0)
    loss_total: Decimal = Decimal(0)
    trades_with_r: int = 0
    r_total: Decimal = Decimal(0)

    def plus(self, other: DayTotals) -> DayTotals:
        """Both days' sums together (same day)."""
        return DayTotals(
            day=self.day,
            trades=self.trades + other.trades,
            wins=self.wins + other.wins,
            losses=self.losses + other.losses,
            net=self.net + other.net,
            gross=self.gross + other.gross,
            fees=self.fees + other.fees,
            win_total=self.win_total + other.win_total,
            loss_total=self.loss_total + other.loss_total,
            trades_with_r=self.trades_with_r + other.trades_with_r,
            r_total=self.r_total + other.r_total,
        )


def totals_by_day(trades: Sequence[ClosedTrade]) -> list[DayTotals]:
    """The trades summed per trading day, oldest first."""
    days: dict[dt.date, DayTotals] = {}
    for trade in trades:
        days[trade.day] = days.get(trade.day, DayTotals(trade.day)).plus(
            DayTotals(
                day=trade.day,
                trades=1,
                wins=int(trade.outcome == "win"),
                losses=int(trade.outcome == "loss"),
                net=trade.net,
                gross=trade.gross,
                fees=trade.fees,
                win_total=trade.net if trade.outcome == "win" else Decimal(0),
                loss_total=trade.net if trade.outcome == "loss" else Decimal(0),
                trades_with_r=int(trade.r is not None),
                r_total=trade.r if trade.r is not None else Decimal(0),
            )
        )
    return [days[day] for day in sorted(days)]


def compute(
    trades: Sequence[ClosedTrade],
    currency: str,
    period_start: dt.date | None = None,
    period_end: dt.date | None = None,
) -> Statistics:
    """The statistics of `trades`."""
    return compute_from_days(totals_by_day(trades), currency, period_start, period_end)


def compute_from_days(
    days: Sequence[DayTotals],
    currency: str,
    period_start: dt.date | None = None,
    period_end: dt.date | None = None,
) -> Statistics:
    """The statistics of a period from its per-day sums (oldest first)."""
    count = sum(day.trades for day in days)
    wins = sum(day.wins for day in days)
    losses = sum(day.losses for day in days)
    win_total = sum((day.win_total for day in days), Decimal(0))
    loss_total = sum((day.loss_total for day in days), Decimal(0))
    net = sum((day.net for day in days), Decimal(0))
    decided = wins + losses
    trades_with_r = sum(day.trades_with_r for day in days)
    average_win = _ratio(win_total, Decimal(wins)) if wins else None
    average_loss = _ratio(loss_total, Decimal(losses)) if losses else None
    calendar = [DailyPnl(day=day.day, net_pnl=day.net, trades=day.trades) for day in days]
    return Statistics(
        currency=currency,
        period_start=period_start,
        period_end=period_end,
        trades=count,
        wins=wins,
        losses=losses,
        breakevens=count - decided,
        net_pnl=net,
        gross_pnl=sum((day.gross for day in days), Decimal(0)),
        fees=sum((day.fees for day in days), Decimal(0)),
        win_rate=_ratio(Decimal(wins), Decimal(count)) if count else None,
        win_rate_excluding_breakevens=(
            _ratio(Decimal(wins), Decimal(decided)) if decided else None
        ),
        profit_factor=_ratio(win_total, -loss_total) if losses and loss_total else None,
        no_losses=count > 0 and not losses,
        payoff_ratio=(
            _ratio(average_win, -average_loss)
            if average_win is not None and average_loss is not None and average_loss != 0
            else None
        ),
        expectancy=_ratio(net, Decimal(count)) if count else None,
        expectancy_r=(
            _ratio(sum((day.r_total for day in days), Decimal(0)), Decimal(trades_with_r))
            if trades_with_r
            else None
        ),
        trades_with_r=trades_with_r,
        average_win=average_win,
        average_loss=average_loss,
        max_drawdown=max_drawdown([day.net for day in days]),
        equity_curve=equity_curve(calendar),
        calendar=calendar,
    )


def r_multiple(
    net: Decimal, entry: Decimal, initial_stop: Decimal, size: Decimal, multiplier: Decimal
) -> Decimal | None:
    """Net P&L over the initial risk; None when the stop equals the entry (no risk)."""
    risk = abs(entry - initial_stop) * size * multiplier
    if risk == 0:
        return None
    return _ratio(net, risk)


def max_drawdown(results: Sequence[Decimal]) -> Decimal:
    """The largest fall from a peak of the running sum (starting at zero), as a positive amount."""
    peak = cumulative = deepest = Decimal(0)
    for result in results:
        cumulative += result
        peak = max(peak, cumulative)
        deepest = max(deepest, peak - cumulative)
    return deepest


def equity_curve(calendar: Sequence[DailyPnl]) -> list[EquityPoint]:
    """Cumulative realised net P&L at the end of each trading day."""
    points = []
    cumulative = Decimal(0)
    for day in calendar:
        cumulative += day.net_pnl
        points.append(EquityPoint(day=day.day, cumulative_net_pnl=cumulative))
    return points
