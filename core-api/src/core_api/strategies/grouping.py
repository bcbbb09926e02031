"""Which positions are the legs of one multi-leg strategy, what kind it is, and its rolls.

Pure code over plain values. Legs are positions of one account on one underlying: options
(or futures options), and for equity options the underlying's stock position. Positions
whose opening fills share an order id, or were filled in the same minute (UTC clock
minute), are one strategy when at least two of them are and one is an option. A strategy
whose legs all close together (one order id, or one minute) rolls to the strategy on the
same underlying that opens with that order or in that minute.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from tradeloop_contracts import StrategyKind

OPTION_CLASSES = ("option", "future_option")


@dataclass(frozen=True)
class Leg:
    """What grouping needs of a position."""

    position_id: uuid.UUID
    asset_class: str
    underlying: str
    direction: Literal["long", "short"]
    quantity: Decimal
    multiplier: Decimal
    opened_at: dt.datetime
    opening_order_id: str | None = None
    closed_at: dt.datetime | None = None
    closing_order_id: str | None = None
    right: str | None = None
    strike: Decimal | None = None
    expiry: dt.date | None = None

    @property
    def is_option(self) -> bool:
        return self.asset_class in OPTION_CLASSES

    @property
    def family(self) -> tuple[str, bool]:
        """Legs of one family may group: an underlying's equity options and stock, or its
        futures options."""
        return (self.underlying.upper(), self.asset_class == "future_option")


@dataclass(frozen=True)
class Group:
    """The legs of one strategy, in opening order, and its kind."""

    legs: tuple[Leg, ...]
    kind: StrategyKind

    @property
    def opened_at(self) -> dt.datetime:
        return self.legs[0].opened_at

    @property
    def position_ids(self) -> frozenset[uuid.UUID]:
        return frozenset(leg.position_id for leg in self.legs)


def _minute(at: dt.datetime) -> dt.datetime:
    return at.astimezone(dt.UTC).replace(second=0, microsecond=0)


def _leg_order(leg: Leg) -> tuple[dt.datetime, uuid.UUID]:
    return (leg.opened_at, leg.position_id)


def group(legs: Iterable[Leg]) -> list[Group]:
    """The strategies among `legs` (one account's positions), oldest first.

    Legs that share an opening order id or an opening minute are joined, and so are legs
    joined to the same leg (an order filled across two minutes stays one strategy).
    """
    parent: dict[object, object] = {}

    def root(node: object) -> object:
        while parent.setdefault(node, node) != node:
            node = parent[node]
        return node

    def join(a: object, b: object) -> None:
        parent[root(a)] = root(b)

    ordered = sorted(legs, key=_leg_order)
    for leg in ordered:
        join(leg.position_id, (leg.family, "minute", _minute(leg.opened_at)))
        if leg.opening_order_id:
            join(leg.position_id, (leg.family, "order", leg.opening_order_id))
    components: dict[object, list[Leg]] = {}
    for leg in ordered:
        components.setdefault(root(leg.position_id), []).append(leg)
    return [
        Group(legs=tuple(members), kind=classify(members))
        for members in components.values()
        if len(members) >= 2 and any(leg.is_option for leg in members)
    ]


def classify(legs: Sequence[Leg]) -> StrategyKind:
    """The strategy `legs` make; `custom` when no named kind fits all of their rights,
    strikes, expiries, directions and quantities."""
    options = sorted((leg for leg in legs if leg.is_option), key=_by_strike)
    stocks = [leg for leg in legs if not leg.is_option]
    if not options:
        return "custom"
    if stocks:
        return _with_stock(stocks, options)
    shape = _SHAPES.get(len(options))
    return shape(options) if shape is not None else "custom"


def _strike(leg: Leg) -> Decimal:
    # Every option has a strike (the contracts refuse one without).
    return leg.strike if leg.strike is not None else Decimal(0)


def _by_strike(leg: Leg) -> tuple[Decimal, str]:
    return (_strike(leg), leg.right or "")


def _same(values: Iterable[object]) -> bool:
    return len(set(values)) == 1


def _sign(leg: Leg) -> int:
    return 1 if leg.direction == "long" else -1


# Two option legs of equal size: (same right, same expiry, same strike, same direction).
_TWO_LEGS: dict[tuple[bool, bool, bool, bool], StrategyKind] = {
    (True, True, False, False): "vertical",
    (False, True, True, True): "straddle",
    (False, True, False, True): "strangle",
    (True, False, True, False): "calendar",
    (True, False, False, False): "diagonal",
}


def _two_legs(legs: Sequence[Leg]) -> StrategyKind:
    low, high = legs
    if low.quantity != high.quantity:
        return "custom"
    kind = _TWO_LEGS.get(
        (
            low.right == high.right,
            low.expiry == high.expiry,
            low.strike == high.strike,
            low.direction == high.direction,
        ),
        "custom",
    )
    if kind == "strangle" and not (low.right == "put" and high.right == "call"):
        # The put's strike sits below the call's; the other way round is not a strangle.
        return "custom"
    return kind


def _butterfly(legs: Sequence[Leg]) -> StrategyKind:
    low, body, high = legs
    if (
        not _same(leg.right for leg in legs)
        or not _same(leg.expiry for leg in legs)
        or len({_strike(leg) for leg in legs}) != 3
    ):
        return "custom"
    wings_equal = _strike(body) - _strike(low) == _strike(high) - _strike(body)
    sizes = low.quantity == high.quantity and body.quantity == 2 * low.quantity
    directions = low.direction == high.direction != body.direction
    return "butterfly" if wings_equal and sizes and directions else "custom"


def _four_legs(legs: Sequence[Leg]) -> StrategyKind:
    puts = [leg for leg in legs if leg.right == "put"]
    calls = [leg for leg in legs if leg.right == "call"]
    if (
        len(puts) != 2
        or len(calls) != 2
        or not _same(leg.expiry for leg in legs)
        or not _same(leg.quantity for leg in legs)
    ):
        return "custom"
    low_put, high_put = puts
    low_call, high_call = calls
    # The outer legs (wings) face one way, the inner two (body) the other.
    shaped = (
        _strike(low_put) < _strike(high_put)
        and _strike(low_call) < _strike(high_call)
        and low_put.direction == high_call.direction
        and high_put.direction == low_call.direction
        and low_put.direction != high_put.direction
    )
    if not shaped or _strike(high_put) > _strike(low_call):
        return "custom"
    return "iron_butterfly" if _strike(high_put) == _strike(low_call) else "iron_condor"


_SHAPES: dict[int, Callable[[Sequence[Leg]], StrategyKind]] = {
    2: _two_legs,
    3: _butterfly,
    4: _four_legs,
}

# One long stock leg and one option leg covering it share for share: (right, direction).
_WITH_STOCK: dict[tuple[str | None, str], StrategyKind] = {
    ("call", "short"): "covered_call",
    ("put", "long"): "protective_put",
}


def _with_stock(stocks: Sequence[Leg], options: Sequence[Leg]) -> StrategyKind:
    if len(stocks) != 1 or len(options) != 1:
        return "custom"
    [stock], [option] = stocks, options
    if stock.direction != "long" or stock.quantity != option.quantity * option.multiplier:
        return "custom"
    return _WITH_STOCK.get((option.right, option.direction), "custom")


def rolls(groups: Sequence[Group]) -> dict[int, int]:
    """Which strategy (by index in `groups`) was rolled from which: successor → predecessor.

    A strategy rolls when all its legs closed in one order (same order id) or in one minute,
    into a strategy of the same underlying that opened with that order or in that minute.
    Each strategy rolls into at most one and from at most one; among several candidates the
    earliest opened wins.
    """
    opening: dict[tuple[object, ...], list[int]] = {}
    for index, candidate in enumerate(groups):
        family = candidate.legs[0].family
        for leg in candidate.legs:
            tokens: list[tuple[object, ...]] = [(family, "minute", _minute(leg.opened_at))]
            if leg.opening_order_id:
                tokens.append((family, "order", leg.opening_order_id))
            for token in tokens:
                if index not in opening.setdefault(token, []):
                    opening[token].append(index)
    rolled_from: dict[int, int] = {}
    closing_order = sorted(
        (index for index, candidate in enumerate(groups) if _closed_together(candidate)),
        key=lambda index: max(leg.closed_at for leg in groups[index].legs if leg.closed_at),
    )
    for index in closing_order:
        for successor in sorted(
            {s for token in _closing_tokens(groups[index]) for s in opening.get(token, [])},
            key=lambda s: (groups[s].opened_at, s),
        ):
            if successor != index and successor not in rolled_from:
                rolled_from[successor] = index
                break
    return rolled_from


def _closing_tokens(strategy: Group) -> list[tuple[object, ...]]:
    family = strategy.legs[0].family
    tokens: list[tuple[object, ...]] = []
    orders = {leg.closing_order_id for leg in strategy.legs}
    if len(orders) == 1 and None not in orders:
        tokens.append((family, "order", orders.pop()))
    minutes = {_minute(leg.closed_at) for leg in strategy.legs if leg.closed_at is not None}
    if len(minutes) == 1:
        tokens.append((family, "minute", minutes.pop()))
    return tokens


def _closed_together(strategy: Group) -> bool:
    return all(leg.closed_at is not None for leg in strategy.legs) and bool(
        _closing_tokens(strategy)
    )
