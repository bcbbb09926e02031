from collections import defaultdict
from decimal import Decimal

from generators import executions, round_trips

SIGN = {"buy": 1, "sell": -1}


class TestExecutions:
    def test_the_same_seed_gives_the_same_stream(self) -> None:
        assert list(executions(500, seed=3)) == list(executions(500, seed=3))
        assert list(executions(500, seed=3)) != list(executions(500, seed=4))

    def test_exactly_the_requested_count_with_unique_ids(self) -> None:
        fills = list(executions(2_000))
        assert len(fills) == 2_000
        assert len({fill.execution_id for fill in fills}) == 2_000

    def test_the_mix_has_every_asset_class_shorts_and_partial_fills(self) -> None:
        fills = list(executions(3_000))
        assert {fill.asset_class for fill in fills} == {"stock", "option", "future"}
        position: dict[str, Decimal] = defaultdict(Decimal)
        went_short = partial_entries = 0
        for fill in fills:
            before = position[fill.symbol]
            position[fill.symbol] += SIGN[fill.side] * fill.quantity
            went_short += before == 0 and position[fill.symbol] < 0
            partial_entries += before != 0 and abs(position[fill.symbol]) > abs(before)
        assert went_short > 50
        assert partial_entries > 50

    def test_every_round_trip_returns_to_flat(self) -> None:
        stream = round_trips(seed=11)
        net: dict[str, Decimal] = defaultdict(Decimal)
        for _ in range(5_000):
            fill = next(stream)
            net[fill.symbol] += SIGN[fill.side] * fill.quantity
        open_symbols = [symbol for symbol, quantity in net.items() if quantity != 0]
        assert len(open_symbols) <= 1  # only the trade cut off at the end

    def test_prices_and_quantities_are_positive_decimals(self) -> None:
        for fill in executions(1_000):
            assert fill.price > 0
            assert fill.quantity > 0
            assert fill.commission >= Decimal("1.00")
            assert fill.time.tzinfo is not None
