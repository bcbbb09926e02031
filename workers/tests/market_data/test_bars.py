from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from workers.market_data.bars import BarFileError, PriceBar, bars_from_csv, bars_to_csv


class TestBarFiles:
    def test_bars_survive_a_round_trip_through_csv(self) -> None:
        bars = [
            PriceBar(
                dt.datetime(2026, 3, 2, 14, 30 + n, tzinfo=dt.UTC),
                Decimal("10.01"),
                Decimal("10.50"),
                Decimal("9.99"),
                Decimal("10.25"),
                Decimal(1200 + n),
            )
            for n in range(3)
        ]
        assert bars_from_csv(bars_to_csv(reversed(bars)), "x.csv") == bars

    def test_times_with_another_offset_are_read_as_utc(self) -> None:
        data = b"time,open,high,low,close\n2026-03-02T09:30:00-05:00,1,2,0.5,1.5\n"
        (bar,) = bars_from_csv(data, "aapl.csv")
        assert bar.time == dt.datetime(2026, 3, 2, 14, 30, tzinfo=dt.UTC)
        assert bar.volume == 0

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            (b"time,open,high,close\n", "aapl.csv: line 1: the header lacks low"),
            (b"time,open,high,low,close\n2026-03-02 09:30,1,2,0.5,1\n", "line 2: time .* no UTC"),
            (b"time,open,high,low,close\n\n2026-03-02T09:30Z,1,x,0.5,1\n", "line 3: high 'x'"),
            (b"time,open,high,low,close\n2026-03-02T09:30Z,1,2,1.5,1\n", "line 2: low/high"),
        ],
    )
    def test_a_bad_file_names_the_line_and_column(self, data: bytes, message: str) -> None:
        with pytest.raises(BarFileError, match=message):
            bars_from_csv(data, "aapl.csv")
