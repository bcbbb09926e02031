from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest

from core_api.strategies.grouping import Group, Leg, classify, group, rolls

AT = dt.datetime(2026, 3, 2, 14, 40, 5, tzinfo=dt.UTC)
MARCH = dt.date(2026, 3, 20)
APRIL = dt.date(2026, 4, 17)


def option(
    right: str,
    strike: str,
    direction: str = "long",
    quantity: str = "1",
    expiry: dt.date = MARCH,
    **extra: Any,
) -> Leg:
    return Leg(
        position_id=uuid.uuid4(),
        asset_class="option",
        underlying="SPY",
        direction=direction,  # type: ignore[arg-type]
        quantity=Decimal(quantity),
        multiplier=Decimal(100),
        opened_at=extra.pop("opened_at", AT),
        right=right,
        strike=Decimal(strike),
        expiry=expiry,
        **extra,
    )


def stock(quantity: str = "100", direction: str = "long", **extra: Any) -> Leg:
    return Leg(
        position_id=uuid.uuid4(),
        asset_class="stock",
        underlying="SPY",
        direction=direction,  # type: ignore[arg-type]
        quantity=Decimal(quantity),
        multiplier=Decimal(1),
        opened_at=extra.pop("opened_at", AT),
        **extra,
    )


# (what it is, the kind, its legs)
KINDS = [
    ("vertical", "vertical", [option("call", "510"), option("call", "515", "short")]),
    ("vertical of puts", "vertical", [option("put", "500", "short"), option("put", "495")]),
    ("straddle", "straddle", [option("call", "510"), option("put", "510")]),
    ("short straddle", "straddle", [option("call", "510", "short"), option("put", "510", "short")]),
    ("strangle", "strangle", [option("put", "500"), option("call", "520")]),
    ("calendar", "calendar", [option("call", "510", "short"), option("call", "510", expiry=APRIL)]),
    ("diagonal", "diagonal", [option("put", "500", "short"), option("put", "495", expiry=APRIL)]),
    (
        "butterfly",
        "butterfly",
        [
            option("call", "500"),
            option("call", "510", "short", "2"),
            option("call", "520"),
        ],
    ),
    (
        "iron condor",
        "iron_condor",
        [
            option("put", "490"),
            option("put", "500", "short"),
            option("call", "520", "short"),
            option("call", "530"),
        ],
    ),
    (
        "iron butterfly",
        "iron_butterfly",
        [
            option("put", "500"),
            option("put", "510", "short"),
            option("call", "510", "short"),
            option("call", "520"),
        ],
    ),
    ("covered call", "covered_call", [stock("200"), option("call", "520", "short", "2")]),
    ("protective put", "protective_put", [stock("100"), option("put", "500")]),
]

VERTICAL, IRON_CONDOR, COVERED_CALL = (KINDS[0][2], KINDS[8][2], KINDS[10][2])

NEAR_MISSES = {
    "1x2 ratio is not a vertical": [option("call", "510"), option("call", "515", "short", "2")],
    "same direction, same right": [option("call", "510"), option("call", "515")],
    "straddle of different sizes": [option("call", "510", quantity="2"), option("put", "510")],
    "put above the call (guts)": [option("put", "520"), option("call", "500")],
    "calendar facing one way": [option("call", "510"), option("call", "510", expiry=APRIL)],
    "broken-wing butterfly": [
        option("call", "500"),
        option("call", "510", "short", "2"),
        option("call", "525"),
    ],
    "butterfly body of one": [
        option("call", "500"),
        option("call", "510", "short"),
        option("call", "520"),
    ],
    "butterfly across expiries": [
        option("call", "500"),
        option("call", "510", "short", "2"),
        option("call", "520", expiry=APRIL),
    ],
    "condor wings facing the body's way": [
        option("put", "490", "short"),
        option("put", "500", "short"),
        option("call", "520", "short"),
        option("call", "530", "short"),
    ],
    "iron condor with crossed bodies": [
        option("put", "490"),
        option("put", "520", "short"),
        option("call", "500", "short"),
        option("call", "530"),
    ],
    "iron condor across expiries": [
        option("put", "490"),
        option("put", "500", "short"),
        option("call", "520", "short"),
        option("call", "530", expiry=APRIL),
    ],
    "covered call short of shares": [stock("50"), option("call", "520", "short")],
    "covered call on a short stock": [stock("100", "short"), option("call", "520", "short")],
    "long call on stock": [stock("100"), option("call", "520")],
    "five legs": [option("put", str(strike)) for strike in (480, 490, 500, 510, 520)],
}


class TestClassify:
    @pytest.mark.parametrize(("kind", "legs"), [k[1:] for k in KINDS], ids=[k[0] for k in KINDS])
    def test_each_kind_is_recognised(self, kind: str, legs: list[Leg]) -> None:
        assert classify(legs) == kind

    @pytest.mark.parametrize("name", list(NEAR_MISSES))
    def test_near_misses_are_custom(self, name: str) -> None:
        assert classify(NEAR_MISSES[name]) == "custom"

    def test_the_order_of_the_legs_does_not_matter(self) -> None:
        assert classify(list(reversed(IRON_CONDOR))) == "iron_condor"


class TestGroup:
    def test_legs_of_one_order_are_one_strategy_across_minutes(self) -> None:
        first = option("call", "510", opening_order_id="o1")
        second = option(
            "call", "515", "short", opened_at=AT + dt.timedelta(minutes=3), opening_order_id="o1"
        )
        [strategy] = group([first, second])
        assert strategy.position_ids == {first.position_id, second.position_id}
        assert strategy.kind == "vertical"

    def test_legs_of_one_minute_are_one_strategy_without_order_ids(self) -> None:
        first = option("put", "500", opened_at=AT.replace(second=0))
        second = option("call", "520", opened_at=AT.replace(second=59))
        [strategy] = group([second, first])
        assert strategy.legs == (first, second)
        assert strategy.kind == "strangle"

    def test_legs_a_minute_apart_in_other_orders_are_not_grouped(self) -> None:
        first = option("put", "500", opened_at=AT.replace(second=59), opening_order_id="o1")
        second = option(
            "call",
            "520",
            opened_at=AT.replace(second=0) + dt.timedelta(minutes=1),
            opening_order_id="o2",
        )
        assert group([first, second]) == []

    def test_other_underlyings_in_the_same_minute_are_apart(self) -> None:
        spy = option("call", "510")
        qqq = Leg(**{**spy.__dict__, "position_id": uuid.uuid4(), "underlying": "QQQ"})
        assert group([spy, qqq]) == []

    def test_stock_alone_is_no_strategy(self) -> None:
        assert group([stock(), stock("50", "short")]) == []

    def test_a_stock_and_its_option_together_are_one(self) -> None:
        [strategy] = group(COVERED_CALL)
        assert strategy.kind == "covered_call"

    def test_a_lone_option_is_no_strategy(self) -> None:
        assert group([option("call", "510")]) == []


def closed(leg: Leg, at: dt.datetime, order: str | None = None) -> Leg:
    return Leg(**{**leg.__dict__, "closed_at": at, "closing_order_id": order})


class TestRolls:
    def test_closing_all_legs_with_the_next_opening_order_links_them(self) -> None:
        later = AT + dt.timedelta(days=2)
        old = [
            closed(option("call", "510"), later, "roll"),
            closed(option("call", "515", "short"), later + dt.timedelta(minutes=5), "roll"),
        ]
        new = [
            option("call", "520", opened_at=later, opening_order_id="roll"),
            option("call", "525", "short", opened_at=later, opening_order_id="roll"),
        ]
        groups = group([*old, *new])
        assert rolls(groups) == {1: 0}

    def test_closing_in_the_minute_of_the_next_opening_links_them(self) -> None:
        later = AT + dt.timedelta(days=2)
        groups = [
            Group(
                (closed(option("put", "500"), later), closed(option("call", "520"), later)),
                "strangle",
            ),
            Group(
                (
                    option("put", "495", opened_at=later + dt.timedelta(seconds=20)),
                    option("call", "525", opened_at=later + dt.timedelta(seconds=20)),
                ),
                "strangle",
            ),
        ]
        assert rolls(groups) == {1: 0}

    def test_legs_closed_apart_do_not_roll(self) -> None:
        later = AT + dt.timedelta(days=2)
        groups = [
            Group(
                (
                    closed(option("put", "500"), later),
                    closed(option("call", "520"), later + dt.timedelta(hours=1)),
                ),
                "strangle",
            ),
            Group(
                (option("put", "495", opened_at=later), option("call", "525", opened_at=later)),
                "strangle",
            ),
        ]
        assert rolls(groups) == {}

    def test_an_open_strategy_rolls_nowhere(self) -> None:
        assert rolls([Group(tuple(VERTICAL), "vertical")]) == {}
