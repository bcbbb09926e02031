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
    """A closed position as the coach sees it: P&L, outcome, timing, what and how much.

    `size` is the position's largest notional (max quantity x entry price x multiplier);
    `r_multiple`, `mfe` and `mae` are None when unknown (no initial stop, no market data).
    """

    id: UUID
    net_pnl: Decimal
    outcome: Outcome
    opened_at: dt.datetime
    closed_at: dt.datetime
    holding_seconds: int
    account_id: UUID | None = None
    symbol: str = ""
    asset_class: str = ""
    tags: tuple[str, ...] = ()
    size: Decimal = ZERO
    gross_pnl: Decimal | None = None
    r_multiple: Decimal | None = None
    mfe: Decimal | None = None
    mae: Decimal | None = None


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


def expectancy_r(trades: Sequence[ClosedTrade]) -> Decimal | None:
    """Mean realised R over the trades that have one (an initial stop); None when none do."""
    return _mean([trade.r_multiple for trade in trades if trade.r_multiple is not None])


def largest_win(trades: Sequence[ClosedTrade]) -> Decimal | None:
    """The largest net P&L of a win; None without wins."""
    return max(_pnls(trades, "win"), default=None)


def largest_loss(trades: Sequence[ClosedTrade]) -> Decimal | None:
    """The most negative net P&L of a loss; None without losses."""
    return min(_pnls(trades, "loss"), default=None)


@dataclass(frozen=True)
class Drawdown:
    """The deepest fall of the cumulative net P&L curve and how long it lasted.

    `amount` is positive (0 when the curve never falls); `seconds` runs from the close of
    the trade that set the peak (the first trade's open when the peak is the start) to the
    close of the trade that regained it, or to the last close when it was never regained
    (`recovered` False). `percent` is the fall as a fraction of equity at the peak, only
    when a starting equity is known.
    """

    amount: Decimal
    seconds: int
    recovered: bool
    percent: Decimal | None = None


def drawdown(trades: Sequence[ClosedTrade], starting_equity: Decimal | None = None) -> Drawdown:
    """The maximum drawdown of cumulative realised net P&L, in closing order, from 0.

    Raises ValueError for a starting equity that is not positive.
    """
    if starting_equity is not None and starting_equity <= 0:
        raise ValueError("the starting equity must be a positive amount")
    ordered = sorted(trades, key=lambda trade: trade.closed_at)
    peak = equity = deepest = deepest_peak = ZERO
    peak_at = ordered[0].opened_at if ordered else None
    deepest_from: dt.datetime | None = None
    regained_at: dt.datetime | None = None
    for trade in ordered:
        equity += trade.net_pnl
        if equity >= peak:
            if deepest_from is not None and deepest_from == peak_at and regained_at is None:
                regained_at = trade.closed_at
            peak, peak_at = equity, trade.closed_at
        elif peak - equity > deepest:
            deepest, deepest_peak, deepest_from, regained_at = peak - equity, peak, peak_at, None
    percent = None
    if starting_equity is not None:
        percent = deepest / (starting_equity + deepest_peak)
    if deepest_from is None:
        return Drawdown(ZERO, 0, True, percent)
    end = regained_at or ordered[-1].closed_at
    seconds = int((end - deepest_from).total_seconds())
    return Drawdown(deepest, seconds, regained_at is not None, percent)


def max_drawdown(trades: Sequence[ClosedTrade]) -> Decimal:
    """Largest peak-to-trough fall of cumulative realised net P&L, as a positive amount.

    Trades are taken in closing order; the curve starts at 0 before the first trade, so a
    first losing trade is already a drawdown. Zero when the curve never falls.
    """
    return drawdown(trades).amount


@dataclass(frozen=True)
class Streaks:
    """The longest runs of consecutive wins and of consecutive losses (breakevens end both)."""

    wins: int
    losses: int


def streaks(trades: Sequence[ClosedTrade]) -> Streaks:
    """The longest win and loss streaks in closing order."""
    best = {"win": 0, "loss": 0}
    current: Outcome | None = None
    run = 0
    for trade in sorted(trades, key=lambda trade: trade.closed_at):
        run = run + 1 if trade.outcome == current else 1
        current = trade.outcome
        if current in best:
            best[current] = max(best[current], run)
    return Streaks(wins=best["win"], losses=best["loss"])


def average_holding_seconds(trades: Sequence[ClosedTrade]) -> HoldingTimes:
    """Mean holding time (first entry fill to final exit fill) of winners and of losers."""

    def mean_of(outcome: Outcome) -> Decimal | None:
        return _mean([Decimal(t.holding_seconds) for t in trades if t.outcome == outcome])

    return HoldingTimes(winners=mean_of("win"), losers=mean_of("loss"))
