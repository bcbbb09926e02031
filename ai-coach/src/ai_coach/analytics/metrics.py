"""The canonical trading metrics, computed exactly on Decimal.

Every function takes closed trades and returns exact Decimals (round only to display);
`None` means "not defined for this sample" (no trades, no wins, no losses), never zero.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal
from uuid import UUID

Outcome = Literal["win", "loss", "breakeven"]
ZERO = Decimal(0)


@dataclass(frozen=True)
class ClosedTrade:
    """A closed position as the coach sees it: net P&L, outcome and holding time."""

    id: UUID
    net_pnl: Decimal
    outcome: Outcome
    opened_at: dt.datetime
    closed_at: dt.datetime
    holding_seconds: int


@dataclass(frozen=True)
class ProfitFactor:
    """Gross wins over gross losses; `value` is None and `no_losses` set without losses."""

    value: Decimal | None
    no_losses: bool


@dataclass(frozen=True)
class HoldingTimes:
    """Mean holding time in seconds of winners and of losers (None when there are none)."""

    winners: Decimal | None
    losers: Decimal | None


def classify(net_pnl: Decimal, breakeven_band: Decimal = ZERO) -> Outcome:
    """Win, loss or breakeven on net P&L; within ±band (inclusive) is breakeven.

    Raises ValueError for a negative band.
    """
    if breakeven_band < 0:
        raise ValueError("the breakeven band is an amount and cannot be negative")
    if abs(net_pnl) <= breakeven_band:
        return "breakeven"
    return "win" if net_pnl > 0 else "loss"


def _mean(values: Sequence[Decimal]) -> Decimal | None:
    return sum(values, ZERO) / len(values) if values else None


def _pnls(trades: Sequence[ClosedTrade], outcome: Outcome) -> list[Decimal]:
    return [trade.net_pnl for trade in trades if trade.outcome == outcome]


def win_rate(trades: Sequence[ClosedTrade]) -> Decimal | None:
    """Wins / (wins + losses + breakevens), as a fraction; None without trades."""
    if not trades:
        return None
    return Decimal(len(_pnls(trades, "win"))) / len(trades)


def win_rate_excluding_breakevens(trades: Sequence[ClosedTrade]) -> Decimal | None:
    """Wins / (wins + losses), as a fraction; None without wins or losses."""
    wins, losses = len(_pnls(trades, "win")), len(_pnls(trades, "loss"))
    if wins + losses == 0:
        return None
    return Decimal(wins) / (wins + losses)


def profit_factor(trades: Sequence[ClosedTrade]) -> ProfitFactor:
    """Σ net P&L of wins / |Σ net P&L of losses|; "no losses" is a flag, not a big number."""
    losses = sum(_pnls(trades, "loss"), ZERO)
    if losses == 0:
        return ProfitFactor(value=None, no_losses=True)
    return ProfitFactor(value=sum(_pnls(trades, "win"), ZERO) / abs(losses), no_losses=False)


def average_win(trades: Sequence[ClosedTrade]) -> Decimal | None:
    """Mean net P&L of the wins; None without wins."""
    return _mean(_pnls(trades, "win"))


def average_loss(trades: Sequence[ClosedTrade]) -> Decimal | None:
    """Mean net P&L of the losses (a negative amount); None without losses."""
    return _mean(_pnls(trades, "loss"))


def payoff_ratio(trades: Sequence[ClosedTrade]) -> Decimal | None:
    """Mean win / |mean loss|; None without wins or without losses."""
    win, loss = average_win(trades), average_loss(trades)
    if win is None or loss is None:
        return None
    return win / abs(loss)


def expectancy(trades: Sequence[ClosedTrade]) -> Decimal | None:
    """Mean net P&L per closed position, breakevens included; None without trades."""
    return _mean([trade.net_pnl for trade in trades])


def max_drawdown(trades: Sequence[ClosedTrade]) -> Decimal:
    """Largest peak-to-trough fall of cumulative realised net P&L, as a positive amount.

    Trades are taken in closing order; the curve starts at 0 before the first trade, so a
    first losing trade is already a drawdown. Zero when the curve never falls.
    """
    peak = equity = worst = ZERO
    for trade in sorted(trades, key=lambda trade: trade.closed_at):
        equity += trade.net_pnl
        peak = max(peak, equity)
        worst = max(worst, peak - equity)
    return worst


def average_holding_seconds(trades: Sequence[ClosedTrade]) -> HoldingTimes:
    """Mean holding time (first entry fill to final exit fill) of winners and of losers."""

    def mean_of(outcome: Outcome) -> Decimal | None:
        return _mean([Decimal(t.holding_seconds) for t in trades if t.outcome == outcome])

    return HoldingTimes(winners=mean_of("win"), losers=mean_of("loss"))
