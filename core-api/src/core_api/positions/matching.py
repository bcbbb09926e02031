"""Matching fills into positions: pure functions, no database.

A position runs flat to flat for one account and instrument, in time order (ties by
broker execution id, then by the order core received the fills). Adding to the open
side scales in; trading against it scales out. A fill that crosses zero closes the
position and opens the opposite one with the remainder, its costs split pro rata.

Realised P&L is matched lot by lot: FIFO (default), LIFO, or against the average
cost. Gross = Σ (exit − entry) × quantity × multiplier, signed by direction;
fees = commission + fees of every fill share; net = gross − fees.

In the account's base currency every amount is converted at the rate of the fill it
comes from: a lot's cost at its entry fill's rate, the proceeds at the exit fill's rate,
each fee at its fill's rate (so the base result includes the currency's own move). When
a fill of a position has no rate, its base result is unknown (None).
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Literal, cast, get_args

Side = Literal["buy", "sell"]
Method = Literal["fifo", "lifo", "average"]
Outcome = Literal["win", "loss", "breakeven"]

# Prices, split costs and average-cost P&L are kept to 8 places: exact on both databases.
PLACES = Decimal("0.00000001")


def _round(value: Decimal) -> Decimal:
    return value.quantize(PLACES, rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution as matching sees it. `costs` is commission plus fees, a positive cost."""

    id: Hashable
    executed_at: dt.datetime
    side: Side
    quantity: Decimal
    price: Decimal
    costs: Decimal = Decimal(0)
    multiplier: Decimal = Decimal(1)
    broker_execution_id: str | None = None
    recorded_order: int = 0
    fx_rate: Decimal | None = Decimal(1)

    @property
    def signed_quantity(self) -> Decimal:
        return self.quantity if self.side == "buy" else -self.quantity


@dataclass(frozen=True, slots=True)
class FillShare:
    """The part of a fill that belongs to a position (all of it, unless it crossed zero)."""

    fill_id: Hashable
    quantity: Decimal


@dataclass(frozen=True)
class MatchedPosition:
    """A position and its numbers; `open_quantity` is signed (negative while short)."""

    opening_fill_id: Hashable
    direction: Literal["long", "short"]
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    open_quantity: Decimal
    max_quantity: Decimal
    avg_entry_price: Decimal
    avg_exit_price: Decimal | None
    realised_pnl_gross: Decimal
    fees: Decimal
    realised_pnl_net: Decimal
    shares: tuple[FillShare, ...]
    realised_pnl_net_base: Decimal | None = None
    open_cost: Decimal = Decimal(0)
    """Cost basis of the lots still open, × multiplier, signed like the quantity."""

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None

    @property
    def holding_seconds(self) -> int | None:
        """First entry fill to final exit fill; None while open."""
        if self.closed_at is None:
            return None
        return int((self.closed_at - self.opened_at).total_seconds())


def method_named(name: str) -> Method:
    """The matching method called `name`; ValueError for any other name."""
    for method in get_args(Method):
        if method == name:
            return cast(Method, method)
    raise ValueError(f"unknown matching method {name!r}")


def sort_key(fill: Fill) -> tuple[dt.datetime, str, int]:
    return (fill.executed_at, fill.broker_execution_id or "", fill.recorded_order)


def outcome(net: Decimal, breakeven_band: Decimal) -> Outcome:
    """Win or loss on net P&L; within ±band (inclusive) it is breakeven."""
    if net > breakeven_band:
        return "win"
    if net < -breakeven_band:
        return "loss"
    return "breakeven"


def match(fills: Iterable[Fill], method: Method = "fifo") -> list[MatchedPosition]:
    """Every position the fills of one account and instrument make, oldest first."""
    positions: list[MatchedPosition] = []
    current: _Builder | None = None
    for fill in sorted(fills, key=sort_key):
        remaining = fill.quantity
        remaining_costs = fill.costs
        while remaining > 0:
            if current is None:
                current = _Builder(fill, method)
            if current.sign * fill.signed_quantity > 0:
                current.add(fill, remaining, remaining_costs)
                remaining = Decimal(0)
                continue
            take = min(remaining, current.open_abs)
            costs = remaining_costs if take == remaining else _costs_of_closing_part(fill, take)
            current.reduce(fill, take, costs)
            remaining -= take
            remaining_costs -= costs
            if current.open_abs == 0:
                positions.append(current.build(closed_at=fill.executed_at))
                current = None
    if current is not None:
        positions.append(current.build(closed_at=None))
    return positions


def _costs_of_closing_part(fill: Fill, quantity: Decimal) -> Decimal:
    # A fill crossing zero pays for its closing part pro rata; the remainder pays the rest.
    return _round(fill.costs * quantity / fill.quantity)


def remainder_after_close(fill: Fill, closed_quantity: Decimal) -> Fill | None:
    """The part of a fill left after `closed_quantity` of it closed an earlier position.

    Its costs are what matching charges that remainder; None when nothing is left.
    Matching from this remainder on gives the same later positions as matching from the
    start, which lets a rematch skip positions that cannot change.
    """
    if closed_quantity == 0:
        return fill
    if closed_quantity >= fill.quantity:
        return None
    return replace(
        fill,
        quantity=fill.quantity - closed_quantity,
        costs=fill.costs - _costs_of_closing_part(fill, closed_quantity),
    )


@dataclass
class _Lot:
    quantity: Decimal
    price: Decimal
    base_price: Decimal | None


@dataclass
class _Builder:
    first: Fill
    method: Method
    sign: int = 0
    lots: deque[_Lot] = field(default_factory=deque)
    open_abs: Decimal = Decimal(0)
    max_abs: Decimal = Decimal(0)
    entry_quantity: Decimal = Decimal(0)
    entry_value: Decimal = Decimal(0)
    exit_quantity: Decimal = Decimal(0)
    exit_value: Decimal = Decimal(0)
    gross: Decimal = Decimal(0)
    fees: Decimal = Decimal(0)
    base: Decimal | None = Decimal(0)
    shares: dict[Hashable, Decimal] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.sign = 1 if self.first.side == "buy" else -1

    def _share(self, fill: Fill, quantity: Decimal, costs: Decimal) -> None:
        self.shares[fill.id] = self.shares.get(fill.id, Decimal(0)) + quantity
        self.fees += costs
        if self.base is not None and fill.fx_rate is not None:
            self.base -= costs * fill.fx_rate
        else:
            self.base = None

    def add(self, fill: Fill, quantity: Decimal, costs: Decimal) -> None:
        self._share(fill, quantity, costs)
        self.entry_quantity += quantity
        self.entry_value += quantity * fill.price
        self.open_abs += quantity
        self.max_abs = max(self.max_abs, self.open_abs)
        base_price = None if fill.fx_rate is None else fill.price * fill.fx_rate
        if self.method == "average" and self.lots:
            lot = self.lots[0]
            total = lot.quantity + quantity
            lot.price = (lot.quantity * lot.price + quantity * fill.price) / total
            lot.base_price = (
                None
                if lot.base_price is None or base_price is None
                else (lot.quantity * lot.base_price + quantity * base_price) / total
            )
            lot.quantity = total
        else:
            self.lots.append(_Lot(quantity, fill.price, base_price))

    def reduce(self, fill: Fill, quantity: Decimal, costs: Decimal) -> None:
        self._share(fill, quantity, costs)
        self.exit_quantity += quantity
        self.exit_value += quantity * fill.price
        self.open_abs -= quantity
        left = quantity
        while left > 0:
            lot = self.lots[-1] if self.method == "lifo" else self.lots[0]
            take = min(left, lot.quantity)
            self.gross += (fill.price - lot.price) * take * fill.multiplier * self.sign
            if self.base is not None and fill.fx_rate is not None and lot.base_price is not None:
                exit_base = fill.price * fill.fx_rate
                self.base += (exit_base - lot.base_price) * take * fill.multiplier * self.sign
            else:
                self.base = None
            lot.quantity -= take
            left -= take
            if lot.quantity == 0:
                if self.method == "lifo":
                    self.lots.pop()
                else:
                    self.lots.popleft()
        if self.method == "average":
            self.gross = _round(self.gross)

    def build(self, closed_at: dt.datetime | None) -> MatchedPosition:
        return MatchedPosition(
            opening_fill_id=self.first.id,
            direction="long" if self.sign > 0 else "short",
            opened_at=self.first.executed_at,
            closed_at=closed_at,
            open_quantity=self.open_abs * self.sign,
            max_quantity=self.max_abs,
            avg_entry_price=_round(self.entry_value / self.entry_quantity),
            avg_exit_price=(
                _round(self.exit_value / self.exit_quantity) if self.exit_quantity else None
            ),
            realised_pnl_gross=self.gross,
            fees=self.fees,
            realised_pnl_net=self.gross - self.fees,
            shares=tuple(FillShare(fill_id, quantity) for fill_id, quantity in self.shares.items()),
            realised_pnl_net_base=None if self.base is None else _round(self.base),
            open_cost=sum(
                (lot.quantity * lot.price * self.first.multiplier * self.sign for lot in self.lots),
                Decimal(0),
            ),
        )
