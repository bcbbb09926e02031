"""The canonical trading metrics, computed exactly on Decimal.

Every function takes closed trades and returns exact Decimals (round only to display);
`None` means "not defined for this sample" (no trades, no wins, no losses), never zero.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from operator import attrgetter
from typing import Literal
from uuid import UUID
from zoneinfo import ZoneInfo

Outcome = Literal["win", "loss", "breakeven"]
ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class ClosedTrade:
    """A closed position as the coach sees it: P&L, outcome, timing, what and how much.

    `size` is the position's largest notional (max quantity x entry price x multiplier);
    `r_multiple`, `mfe` and `mae` are None when unknown (no initial stop, no market data).
    `playbook` is the name of the playbook it followed (None: none) and `criteria` one
    `<playbook> · <criterion> · met|missed` per criterion of that playbook.
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
    playbook: str | None = None
    criteria: tuple[str, ...] = ()
    # Every dimension and detector reads the same trade's local times: they are converted
    # once, for the zone last asked (a request has one), and kept in slots, not in a
    # container per trade, which the garbage collector would then scan on every pass.
    _zone: ZoneInfo | None = field(default=None, init=False, repr=False, compare=False)
    _opened_local: dt.datetime | None = field(default=None, init=False, repr=False, compare=False)
    _closed_local: dt.datetime | None = field(default=None, init=False, repr=False, compare=False)

    def opened_in(self, time_zone: ZoneInfo) -> dt.datetime:
        """The first entry fill as a wall-clock time of `time_zone`."""
        opened = self._opened_local
        if self._zone is not time_zone or opened is None:
            opened = self._localize(time_zone)[0]
        return opened

    def closed_in(self, time_zone: ZoneInfo) -> dt.datetime:
        """The final exit fill as a wall-clock time of `time_zone`."""
        closed = self._closed_local
        if self._zone is not time_zone or closed is None:
            closed = self._localize(time_zone)[1]
        return closed

    def _localize(self, time_zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
        opened, closed = self.opened_at.astimezone(time_zone), self.closed_at.astimezone(time_zone)
        object.__setattr__(self, "_zone", time_zone)
        object.__setattr__(self, "_opened_local", opened)
        object.__setattr__(self, "_closed_local", closed)
        return opened, closed


# Sort key of closing order.
CLOSED_AT = attrgetter("closed_at")


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


@dataclass(frozen=True)
class Tally:
    """Counts and sums of a sample by outcome, gathered in one pass over it.

    Sums are taken in the order of the sample, starting from 0, so every metric built on
    them is the same Decimal a sum over the separate outcome lists would give; the
    longest runs of wins and of losses are in that order too (a breakeven ends both).
    """

    trades: int
    wins: int
    losses: int
    breakevens: int
    net_pnl: Decimal
    win_pnl: Decimal
    loss_pnl: Decimal
    largest_win: Decimal | None
    largest_loss: Decimal | None
    r_sum: Decimal
    trades_with_r: int
    win_holding_seconds: int
    loss_holding_seconds: int
    longest_win_streak: int
    longest_loss_streak: int


def tally(trades: Sequence[ClosedTrade]) -> Tally:
    """The counts and sums every outcome metric is built from."""
    return tally_and_drawdown(trades)[0]


def _tallied(trades: Sequence[ClosedTrade] | Tally) -> Tally:
    return trades if isinstance(trades, Tally) else tally(trades)


def _ratio(total: Decimal | int, count: int) -> Decimal | None:
    return Decimal(total) / count if count else None


def win_rate(trades: Sequence[ClosedTrade] | Tally) -> Decimal | None:
    """Wins / (wins + losses + breakevens), as a fraction; None without trades."""
    counts = _tallied(trades)
    return _ratio(counts.wins, counts.trades)


def win_rate_excluding_breakevens(trades: Sequence[ClosedTrade] | Tally) -> Decimal | None:
    """Wins / (wins + losses), as a fraction; None without wins or losses."""
    counts = _tallied(trades)
    return _ratio(counts.wins, counts.wins + counts.losses)


def profit_factor(trades: Sequence[ClosedTrade] | Tally) -> ProfitFactor:
    """Σ net P&L of wins / |Σ net P&L of losses|; "no losses" is a flag, not a big number."""
    counts = _tallied(trades)
    if counts.loss_pnl == 0:
        return ProfitFactor(value=None, no_losses=True)
    return ProfitFactor(value=counts.win_pnl / abs(counts.loss_pnl), no_losses=False)


def average_win(trades: Sequence[ClosedTrade] | Tally) -> Decimal | None:
    """Mean net P&L of the wins; None without wins."""
    counts = _tallied(trades)
    return _ratio(counts.win_pnl, counts.wins)


def average_loss(trades: Sequence[ClosedTrade] | Tally) -> Decimal | None:
    """Mean net P&L of the losses (a negative amount); None without losses."""
    counts = _tallied(trades)
    return _ratio(counts.loss_pnl, counts.losses)


def payoff_ratio(trades: Sequence[ClosedTrade] | Tally) -> Decimal | None:
    """Mean win / |mean loss|; None without wins or without losses."""
    counts = _tallied(trades)
    win, loss = average_win(counts), average_loss(counts)
    if win is None or loss is None:
        return None
    return win / abs(loss)


def expectancy(trades: Sequence[ClosedTrade] | Tally) -> Decimal | None:
    """Mean net P&L per closed position, breakevens included; None without trades."""
    counts = _tallied(trades)
    return _ratio(counts.net_pnl, counts.trades)


def expectancy_r(trades: Sequence[ClosedTrade] | Tally) -> Decimal | None:
    """Mean realised R over the trades that have one (an initial stop); None when none do."""
    counts = _tallied(trades)
    return _ratio(counts.r_sum, counts.trades_with_r)


def largest_win(trades: Sequence[ClosedTrade] | Tally) -> Decimal | None:
    """The largest net P&L of a win; None without wins."""
    return _tallied(trades).largest_win


def largest_loss(trades: Sequence[ClosedTrade] | Tally) -> Decimal | None:
    """The most negative net P&L of a loss; None without losses."""
    return _tallied(trades).largest_loss


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
    return drawdown_in_order(sorted(trades, key=CLOSED_AT), starting_equity)


def drawdown_in_order(
    ordered: Sequence[ClosedTrade], starting_equity: Decimal | None = None
) -> Drawdown:
    """`drawdown` of trades already in closing order."""
    return tally_and_drawdown(ordered, starting_equity)[1]


def tally_and_drawdown(
    ordered: Sequence[ClosedTrade], starting_equity: Decimal | None = None
) -> tuple[Tally, Drawdown]:
    """`tally` and `drawdown_in_order` of a sample in one pass over it.

    Every summary needs both, and at 50k positions grouped by every dimension the passes
    themselves were the cost. Raises ValueError for a starting equity that is not positive.
    """
    if starting_equity is not None and starting_equity <= 0:
        raise ValueError("the starting equity must be a positive amount")
    wins = losses = breakevens = with_r = win_hold = loss_hold = 0
    win_run = loss_run = longest_wins = longest_losses = 0
    net = win_sum = loss_sum = r_sum = ZERO
    best: Decimal | None = None
    worst: Decimal | None = None
    # The drawdown of cumulative net P&L (`net`), from 0 before the first trade.
    peak = deepest = deepest_peak = ZERO
    peak_at = ordered[0].opened_at if ordered else None
    deepest_from: dt.datetime | None = None
    regained_at: dt.datetime | None = None
    for trade in ordered:
        pnl = trade.net_pnl
        net += pnl
        if net >= peak:
            if deepest_from is not None and deepest_from == peak_at and regained_at is None:
                regained_at = trade.closed_at
            peak, peak_at = net, trade.closed_at
        elif peak - net > deepest:
            deepest, deepest_peak, deepest_from, regained_at = peak - net, peak, peak_at, None
        outcome = trade.outcome
        if outcome == "win":
            wins += 1
            win_sum += pnl
            win_hold += trade.holding_seconds
            if best is None or pnl > best:
                best = pnl
            win_run += 1
            loss_run = 0
            if win_run > longest_wins:
                longest_wins = win_run
        elif outcome == "loss":
            losses += 1
            loss_sum += pnl
            loss_hold += trade.holding_seconds
            if worst is None or pnl < worst:
                worst = pnl
            loss_run += 1
            win_run = 0
            if loss_run > longest_losses:
                longest_losses = loss_run
        else:
            breakevens += 1
            win_run = loss_run = 0
        if trade.r_multiple is not None:
            with_r += 1
            r_sum += trade.r_multiple
    counts = Tally(
        trades=len(ordered),
        wins=wins,
        losses=losses,
        breakevens=breakevens,
        net_pnl=net,
        win_pnl=win_sum,
        loss_pnl=loss_sum,
        largest_win=best,
        largest_loss=worst,
        r_sum=r_sum,
        trades_with_r=with_r,
        win_holding_seconds=win_hold,
        loss_holding_seconds=loss_hold,
        longest_win_streak=longest_wins,
        longest_loss_streak=longest_losses,
    )
    percent = None
    if starting_equity is not None:
        percent = deepest / (starting_equity + deepest_peak)
    if deepest_from is None:
        return counts, Drawdown(ZERO, 0, True, percent)
    end = regained_at or ordered[-1].closed_at
    seconds = int((end - deepest_from).total_seconds())
    return counts, Drawdown(deepest, seconds, regained_at is not None, percent)


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
    return streaks_in_order(sorted(trades, key=CLOSED_AT))


def streaks_in_order(ordered: Sequence[ClosedTrade]) -> Streaks:
    """`streaks` of trades already in closing order."""
    counts = tally(ordered)
    return Streaks(wins=counts.longest_win_streak, losses=counts.longest_loss_streak)


def average_holding_seconds(trades: Sequence[ClosedTrade] | Tally) -> HoldingTimes:
    """Mean holding time (first entry fill to final exit fill) of winners and of losers."""
    counts = _tallied(trades)
    return HoldingTimes(
        winners=_ratio(counts.win_holding_seconds, counts.wins),
        losers=_ratio(counts.loss_holding_seconds, counts.losses),
    )
