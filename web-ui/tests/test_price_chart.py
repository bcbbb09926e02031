import datetime as dt
import uuid
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from tradeloop_contracts import BarSeries, Execution, PositionBars

from tests.factories import CLOSED, OPENED, a_bar_series, a_position, an_execution
from web_ui.price_chart import chart_time, price_chart

POSITION = uuid.uuid4()


def fill(**overrides: object) -> Execution:
    return Execution.model_validate(an_execution(POSITION, **overrides))


def chart_of(
    series: BarSeries, fills: list[Execution], direction: str = "long", **position: object
) -> dict[str, Any] | None:
    held = a_position(id=POSITION, executions=fills, direction=direction, **position)
    return price_chart(series, held, "UTC")


class TestChartTime:
    def test_utc_times_are_seconds_since_the_epoch(self) -> None:
        assert chart_time(OPENED, dt.UTC) == int(OPENED.timestamp())

    def test_times_are_shifted_to_the_traders_wall_clock_across_dst(self) -> None:
        new_york = ZoneInfo("America/New_York")
        winter = dt.datetime(2026, 3, 6, 15, 0, tzinfo=dt.UTC)
        summer = dt.datetime(2026, 3, 9, 15, 0, tzinfo=dt.UTC)

        assert chart_time(winter, new_york) == int(winter.timestamp()) - 5 * 3600
        assert chart_time(summer, new_york) == int(summer.timestamp()) - 4 * 3600


class TestPriceChart:
    def test_no_bars_means_no_chart(self) -> None:
        empty = BarSeries(symbol="AAPL", interval="15m", bars=[])

        assert chart_of(empty, [fill()]) is None

    def test_bars_become_candles_oldest_first(self) -> None:
        series = a_bar_series(["187.0", "188.5", "189.2"])
        series.bars.reverse()

        chart = chart_of(series, [])

        assert chart is not None
        assert [bar["time"] for bar in chart["bars"]] == [
            int(OPENED.timestamp()) + 900 * i for i in range(3)
        ]
        assert chart["bars"][1] == {
            "time": int(OPENED.timestamp()) + 900,
            "open": 187.0,
            "high": 188.6,
            "low": 186.9,
            "close": 188.5,
        }
        assert chart["intraday"] is True

    def test_each_fill_is_marked_at_its_price_on_the_bar_it_happened_in(self) -> None:
        series = a_bar_series(["187.0"] * 10)
        entry = fill(executed_at=OPENED + dt.timedelta(minutes=20), price=Decimal("187.25"))
        exit_ = fill(
            executed_at=CLOSED, side="sell", price=Decimal("189.10"), quantity=Decimal("100.50")
        )

        chart = chart_of(series, [exit_, entry])

        assert chart is not None
        assert chart["markers"] == [
            {
                "time": int(OPENED.timestamp()) + 900,
                "position": "atPriceBottom",
                "price": 187.25,
                "shape": "arrowUp",
                "color": "#0a6b2d",
                "text": "Entry buy 100",
            },
            {
                "time": int(OPENED.timestamp()) + 9 * 900,
                "position": "atPriceTop",
                "price": 189.1,
                "shape": "arrowDown",
                "color": "#b3261e",
                "text": "Exit sell 100.5",
            },
        ]

    def test_a_short_is_entered_by_selling(self) -> None:
        series = a_bar_series(["187.0"] * 10)

        chart = chart_of(series, [fill(side="sell"), fill(executed_at=CLOSED)], "short")

        assert chart is not None
        assert [marker["text"] for marker in chart["markers"]] == ["Entry sell 100", "Exit buy 100"]

    def test_fills_outside_the_bars_are_left_off(self) -> None:
        series = a_bar_series(["187.0", "187.5"])
        before = fill(executed_at=OPENED - dt.timedelta(seconds=1))
        after = fill(executed_at=OPENED + dt.timedelta(minutes=30))
        last = fill(executed_at=OPENED + dt.timedelta(minutes=29, seconds=59))

        chart = chart_of(series, [before, after, last])

        assert chart is not None
        assert [marker["time"] for marker in chart["markers"]] == [int(OPENED.timestamp()) + 900]

    def test_daily_bars_hide_the_time_of_day(self) -> None:
        chart = chart_of(a_bar_series(["1", "2"], interval="1d"), [])

        assert chart is not None
        assert chart["intraday"] is False


class TestExcursionLines:
    def test_the_worst_and_best_prices_while_held_are_drawn_as_lines(self) -> None:
        chart = chart_of(
            a_bar_series(["187.0"] * 3),
            [],
            mae_price=Decimal("186.10"),
            mfe_price=Decimal("189.90"),
        )

        assert chart is not None
        assert chart["lines"] == [
            {"price": 186.1, "title": "MAE", "color": "#b3261e"},
            {"price": 189.9, "title": "MFE", "color": "#0a6b2d"},
        ]

    def test_coverage_is_known_only_from_a_positions_own_bars(self) -> None:
        series = a_bar_series(["187.0"] * 3)
        own = PositionBars.model_validate(
            {**series.model_dump(), "position_id": POSITION, "complete": False}
        )

        plain, covered = chart_of(series, []), chart_of(own, [])

        assert plain is not None
        assert covered is not None
        assert (plain["complete"], covered["complete"]) == (None, False)
