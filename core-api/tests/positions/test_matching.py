from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from core_api.positions.matching import Fill, FillShare, Method, match, outcome

T0 = dt.datetime(2026, 3, 2, 14, 30, tzinfo=dt.UTC)


def fill(
    fill_id: str,
    side: str,
    quantity: str,
    price: str,
    minute: int,
    costs: str = "0",
    multiplier: str = "1",
) -> Fill:
    return Fill(
        id=fill_id,
        executed_at=T0 + dt.timedelta(minutes=minute),
        side=side,  # type: ignore[arg-type]
        quantity=Decimal(quantity),
        price=Decimal(price),
        costs=Decimal(costs),
        multiplier=Decimal(multiplier),
        broker_execution_id=fill_id,
    )


SCALE_IN_OUT = [
    fill("a", "buy", "100", "10", 0, "1"),
    fill("b", "buy", "100", "12", 1, "1"),
    fill("c", "sell", "150", "13", 2, "1.5"),
    fill("d", "sell", "50", "9", 3, "0.5"),
]


class TestHandComputedCases:
    def test_scale_in_and_out_of_a_long_to_the_cent(self) -> None:
        [position] = match(SCALE_IN_OUT)
        assert position.direction == "long"
        assert position.is_closed
        assert position.realised_pnl_gross == Decimal("200")
        assert position.fees == Decimal("4")
        assert position.realised_pnl_net == Decimal("196")
        assert position.avg_entry_price == Decimal("11")
        assert position.avg_exit_price == Decimal("12")
        assert position.max_quantity == Decimal("200")
        assert position.open_quantity == 0
        assert position.holding_seconds == 180

    def test_methods_differ_only_while_the_position_is_open(self) -> None:
        realised = {
            method: match(SCALE_IN_OUT[:3], method)[0].realised_pnl_gross
            for method in ("fifo", "lifo", "average")
        }
        assert realised == {"fifo": Decimal(350), "lifo": Decimal(250), "average": Decimal(300)}
        for method in ("fifo", "lifo", "average"):
            assert match(SCALE_IN_OUT, method)[0].realised_pnl_gross == Decimal(200)

    def test_a_short_future_applies_its_multiplier(self) -> None:
        [position] = match(
            [
                fill("s", "sell", "2", "5000", 0, "3.45", "50"),
                fill("b", "buy", "2", "4990.25", 7, "3.45", "50"),
            ]
        )
        assert position.direction == "short"
        assert position.realised_pnl_gross == Decimal("975.00")
        assert position.realised_pnl_net == Decimal("968.10")

    def test_a_fill_crossing_zero_closes_and_opens_the_opposite(self) -> None:
        closed, opened = match(
            [fill("a", "buy", "100", "10", 0, "1"), fill("b", "sell", "150", "11", 1, "3")]
        )
        assert closed.is_closed
        assert closed.realised_pnl_gross == Decimal(100)
        assert closed.fees == Decimal(3)
        assert closed.shares == (FillShare("a", Decimal(100)), FillShare("b", Decimal(100)))
        assert not opened.is_closed
        assert opened.direction == "short"
        assert opened.open_quantity == Decimal(-50)
        assert opened.avg_entry_price == Decimal(11)
        assert opened.fees == Decimal(1)
        assert opened.shares == (FillShare("b", Decimal(50)),)

    def test_split_costs_add_up_to_the_fill_s_costs(self) -> None:
        closed, opened = match(
            [fill("a", "buy", "1", "10", 0), fill("b", "sell", "3", "11", 1, "1")]
        )
        assert closed.fees + opened.fees == Decimal(1)
        assert closed.fees == Decimal("0.33333333")

    def test_fills_at_the_same_time_are_ordered_by_broker_id(self) -> None:
        positions = match([fill("B", "sell", "1", "11", 0), fill("A", "buy", "1", "10", 0)])
        assert [p.direction for p in positions] == ["long"]
        assert positions[0].realised_pnl_gross == Decimal(1)

    def test_outcome_uses_the_breakeven_band_inclusively(self) -> None:
        band = Decimal("5")
        assert outcome(Decimal("5.01"), band) == "win"
        assert outcome(Decimal("5"), band) == "breakeven"
        assert outcome(Decimal("-5"), band) == "breakeven"
        assert outcome(Decimal("-5.01"), band) == "loss"
        assert outcome(Decimal("0"), Decimal(0)) == "breakeven"


@st.composite
def fills(draw: st.DrawFn) -> list[Fill]:
    count = draw(st.integers(min_value=1, max_value=25))
    result = []
    for index in range(count):
        result.append(
            Fill(
                id=index,
                executed_at=T0 + dt.timedelta(minutes=draw(st.integers(0, 30))),
                side=draw(st.sampled_from(["buy", "sell"])),
                quantity=Decimal(draw(st.integers(1, 500))) / 100,
                price=Decimal(draw(st.integers(1, 100_000))) / 100,
                costs=Decimal(draw(st.integers(0, 300))) / 100,
                multiplier=Decimal(50),
                broker_execution_id=f"{index:04d}",
            )
        )
    if draw(st.booleans()):
        net = sum((f.signed_quantity for f in result), Decimal(0))
        if net:
            result.append(
                Fill(
                    id=count,
                    executed_at=T0 + dt.timedelta(hours=1),
                    side="sell" if net > 0 else "buy",
                    quantity=abs(net),
                    price=Decimal(draw(st.integers(1, 100_000))) / 100,
                    costs=Decimal("1.07"),
                    multiplier=Decimal(50),
                    broker_execution_id=f"{count:04d}",
                )
            )
    return result


METHODS = st.sampled_from(["fifo", "lifo", "average"])


class TestProperties:
    @given(fills(), st.randoms(use_true_random=False), METHODS)
    def test_import_order_does_not_change_the_positions(
        self, fills: list[Fill], rng: random.Random, method: Method
    ) -> None:
        shuffled = list(fills)
        rng.shuffle(shuffled)
        assert match(shuffled, method) == match(fills, method)

    @given(fills(), st.integers(min_value=0, max_value=25), METHODS)
    def test_splitting_the_fills_into_files_does_not_change_the_positions(
        self, fills: list[Fill], cut: int, method: Method
    ) -> None:
        first, second = fills[:cut], fills[cut:]
        assert match(second + first, method) == match(fills, method)

    @given(fills())
    def test_quantity_never_crosses_zero_inside_a_position(self, fills: list[Fill]) -> None:
        sides = {f.id: f.side for f in fills}
        for position in match(fills):
            sign = 1 if position.direction == "long" else -1
            running = Decimal(0)
            for share in position.shares:
                running += share.quantity if sides[share.fill_id] == "buy" else -share.quantity
                assert running * sign >= 0
                assert abs(running) <= position.max_quantity
            assert running == position.open_quantity
            assert (running == 0) == position.is_closed

    @settings(max_examples=200, deadline=None)  # Decimal-heavy; timing varies on a busy machine
    @given(fills(), METHODS)
    def test_realised_pnl_reconciles_with_cash_flows_when_flat(
        self, fills: list[Fill], method: Method
    ) -> None:
        positions = match(fills, method)
        assert sum((p.fees for p in positions), Decimal(0)) == sum(
            (f.costs for f in fills), Decimal(0)
        )
        if sum((f.signed_quantity for f in fills), Decimal(0)) != 0:
            return
        cash = sum((-f.signed_quantity * f.price * f.multiplier for f in fills), Decimal(0))
        gross = sum((p.realised_pnl_gross for p in positions), Decimal(0))
        if method == "average":
            # Average cost is rounded to 8 places per exit.
            assert abs(gross - cash) <= Decimal("0.00000001") * 2 * len(fills)
        else:
            assert gross == cash
        assert all(p.is_closed for p in positions)

    @settings(max_examples=200, deadline=None)  # Decimal-heavy; timing varies on a busy machine
    @given(fills(), METHODS)
    def test_realised_pnl_less_open_cost_basis_reconciles_with_cash_flows(
        self, fills: list[Fill], method: Method
    ) -> None:
        positions = match(fills, method)
        cash = sum((-f.signed_quantity * f.price * f.multiplier for f in fills), Decimal(0))
        realised = sum((p.realised_pnl_gross for p in positions), Decimal(0))
        open_cost = sum((p.open_cost for p in positions), Decimal(0))
        # Average cost is rounded to 8 places per exit; FIFO and LIFO are exact.
        tolerance = Decimal("0.00000001") * 100 * len(fills) if method == "average" else 0
        assert abs(realised - open_cost - cash) <= tolerance

    @given(fills(), METHODS)
    def test_in_the_base_currency_itself_the_base_result_is_the_net_result(
        self, fills: list[Fill], method: Method
    ) -> None:
        # Average cost rounds its gross per exit, the base result once: a few units of 1e-8.
        tolerance = Decimal("0.00000001") * 2 * len(fills) if method == "average" else 0
        for position in match(fills, method):
            assert position.realised_pnl_net_base is not None
            assert abs(position.realised_pnl_net_base - position.realised_pnl_net) <= tolerance
