from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from hypothesis import given
from hypothesis import strategies as st

from workers.market_data.bars import PriceBar
from workers.market_data.excursions import Excursions, Fill, excursions

MINUTE = dt.timedelta(minutes=1)
Side = Literal["buy", "sell"]
T0 = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)


def bar(minute: int, low: str, high: str) -> PriceBar:
    low_d, high_d = Decimal(low), Decimal(high)
    return PriceBar(T0 + minute * MINUTE, low_d, high_d, low_d, high_d, Decimal(100))


def at(minute: int, seconds: int = 30) -> dt.datetime:
    return T0 + minute * MINUTE + dt.timedelta(seconds=seconds)


class TestExcursions:
    def test_a_long_round_trip_uses_only_bars_wholly_inside_the_holding(self) -> None:
        fills = [
            Fill(at(0), "buy", Decimal(100), Decimal(100)),
            Fill(at(5), "sell", Decimal(100), Decimal(102)),
        ]
        bars = [
            bar(0, "95", "100.50"),  # holds the entry: its low may have come before it
            bar(1, "99.50", "100.20"),
            bar(2, "99.00", "101"),
            bar(3, "100.50", "103"),
            bar(4, "101.80", "102.60"),
            bar(5, "98", "110"),  # holds the exit
        ]
        # MAE 100 x (99.00 - 100); MFE 100 x (103 - 100).
        assert excursions(fills, bars, MINUTE, Decimal(1)) == Excursions(
            Decimal(-100), Decimal(300), Decimal("99.00"), Decimal(103)
        )

    def test_a_short_future_with_a_partial_exit_counts_the_realised_part(self) -> None:
        fills = [
            Fill(at(0), "sell", Decimal(2), Decimal(5000)),
            Fill(at(3), "buy", Decimal(1), Decimal(4990)),
            Fill(at(6), "buy", Decimal(1), Decimal(5005)),
        ]
        bars = [
            bar(0, "4999", "5001"),
            bar(1, "4992", "5004"),
            bar(2, "4995", "5000"),
            bar(3, "4980", "5020"),  # holds the partial exit
            bar(4, "4985", "5010"),
            bar(5, "4996", "5006"),
            bar(6, "4996", "5006"),
        ]
        # Two short at 5000 x 50: at 5004 equity is -400, at 4992 +800. After covering
        # one at 4990 (+500 realised), one short: at 5010 equity 0, at 4985 +1250.
        assert excursions(fills, bars, MINUTE, Decimal(50)) == Excursions(
            Decimal(-400), Decimal(1250), Decimal(5010), Decimal(4985)
        )

    def test_bars_that_miss_the_entry_or_the_exit_leave_it_unknown(self) -> None:
        fills = [
            Fill(at(1), "buy", Decimal(1), Decimal(10)),
            Fill(at(4), "sell", Decimal(1), Decimal(11)),
        ]
        every = [bar(minute, "9", "12") for minute in range(0, 6)]
        assert excursions(fills, every, MINUTE, Decimal(1)) is not None
        assert excursions(fills, every[2:], MINUTE, Decimal(1)) is None
        assert excursions(fills, every[:4], MINUTE, Decimal(1)) is None
        assert excursions(fills, [], MINUTE, Decimal(1)) is None

    def test_a_trade_inside_one_bar_is_judged_on_its_fills(self) -> None:
        fills = [
            Fill(at(0, 5), "buy", Decimal(10), Decimal(50)),
            Fill(at(0, 50), "sell", Decimal(10), Decimal("50.40")),
        ]
        result = excursions(fills, [bar(0, "49", "51")], MINUTE, Decimal(1))
        assert result == Excursions(Decimal(0), Decimal("4.00"), Decimal(50), Decimal("50.40"))


prices = st.decimals(min_value=1, max_value=1000, places=2)


@given(
    entry=prices,
    exit_price=prices,
    lows=st.lists(prices, min_size=1, max_size=20),
    spread=st.decimals(min_value=0, max_value=50, places=2),
    quantity=st.integers(min_value=1, max_value=500),
    long=st.booleans(),
)
def test_mae_and_mfe_bracket_the_outcome(
    entry: Decimal,
    exit_price: Decimal,
    lows: list[Decimal],
    spread: Decimal,
    quantity: int,
    long: bool,
) -> None:
    opening: Side = "buy" if long else "sell"
    closing: Side = "sell" if long else "buy"
    fills = [
        Fill(at(0), opening, Decimal(quantity), entry),
        Fill(at(len(lows) + 1), closing, Decimal(quantity), exit_price),
    ]
    bars = [bar(0, "1", "1000")] + [
        bar(minute + 1, str(low), str(low + spread)) for minute, low in enumerate(lows)
    ]
    bars.append(bar(len(lows) + 1, "1", "1000"))
    result = excursions(fills, bars, MINUTE, Decimal(1))
    assert result is not None
    realised = (exit_price - entry) * quantity * (1 if long else -1)
    assert result.mae <= min(realised, Decimal(0))
    assert result.mfe >= max(realised, Decimal(0))
    held = [entry, exit_price, *lows, *(low + spread for low in lows)]
    assert result.mae_price == (min(held) if long else max(held))
    assert result.mfe_price == (max(held) if long else min(held))
