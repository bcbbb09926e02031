import datetime as dt
import uuid
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from tradeloop_contracts import Execution, PositionBars

from tests.factories import CLOSED, OPENED, a_position, a_position_bars, an_execution
from web_ui.price_chart import MAX_CANDLES, chart_time, price_chart

POSITION = uuid.uuid4()


def fill(**overrides: object) -> Execution:
    return Execution.model_validate(an_execution(POSITION, **overrides))


def chart_of(
    series: PositionBars, fills: list[Execution], direction: str = "long", **position: object
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
        empty = PositionBars(
            symbol="AAPL", interval="15m", bars=[], position_id=POSITION, complete=False
        )

        assert chart_of(empty, [fill()]) is None

    def test_bars_become_candles_oldest_first(self) -> None:
        series = a_position_bars(["187.0", "188.5", "189.2"])
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
        series = a_position_bars(["187.0"] * 10)
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
        series = a_position_bars(["187.0"] * 10)

        chart = chart_of(series, [fill(side="sell"), fill(executed_at=CLOSED)], "short")

        assert chart is not None
        assert [marker["text"] for marker in chart["markers"]] == ["Entry sell 100", "Exit buy 100"]

    def test_fills_outside_the_bars_are_left_off(self) -> None:
        series = a_position_bars(["187.0", "187.5"])
        before = fill(executed_at=OPENED - dt.timedelta(seconds=1))
        after = fill(executed_at=OPENED + dt.timedelta(minutes=30))
        last = fill(executed_at=OPENED + dt.timedelta(minutes=29, seconds=59))

        chart = chart_of(series, [before, after, last])

        assert chart is not None
        assert [marker["time"] for marker in chart["markers"]] == [int(OPENED.timestamp()) + 900]

    def test_daily_bars_hide_the_time_of_day(self) -> None:
        chart = chart_of(a_position_bars(["1", "2"], interval="1d"), [])

        assert chart is not None
        assert chart["intraday"] is False


class TestExcursionLines:
    def test_the_worst_and_best_prices_while_held_are_drawn_as_lines(self) -> None:
        chart = chart_of(
            a_position_bars(["187.0"] * 3),
            [],
            mae_price=Decimal("186.10"),
            mfe_price=Decimal("189.90"),
        )

        assert chart is not None
        assert chart["lines"] == [
            {"price": 186.1, "title": "MAE", "color": "#b3261e"},
            {"price": 189.9, "title": "MFE", "color": "#0a6b2d"},
        ]

    def test_whether_the_bars_cover_the_holding_is_passed_on(self) -> None:
        covering = chart_of(a_position_bars(["187.0"] * 3), [])
        short = chart_of(a_position_bars(["187.0"] * 3, complete=False), [])

        assert covering is not None
        assert short is not None
        assert (covering["complete"], short["complete"]) == (True, False)


def minute_bars(count: int, start: dt.datetime = OPENED) -> PositionBars:
    return a_position_bars(
        [str(Decimal("187.00") + Decimal(i % 9) / 10) for i in range(count)],
        start=start,
        interval="1m",
    )


class TestManyBars:
    def test_bars_beyond_the_limit_are_merged_into_the_shortest_span_that_fits(self) -> None:
        series = minute_bars(2_000)

        chart = chart_of(series, [])

        assert chart is not None
        assert len(chart["bars"]) <= MAX_CANDLES < len(series.bars)
        # 2,000 minutes do not fit in 2-minute candles (1,000) but do in 5-minute ones.
        assert (chart["bar_count"], chart["bar_span"], chart["candle_span"]) == (
            2_000,
            "1 minute",
            "5 minutes",
        )
        assert all(candle["time"] % 300 == 0 for candle in chart["bars"])

    def test_a_merged_candle_opens_and_closes_with_its_first_and_last_bar(self) -> None:
        series = minute_bars(2_000)
        first_five = series.bars[:5]

        chart = chart_of(series, [])

        assert chart is not None
        assert OPENED.minute % 5 == 0
        assert chart["bars"][0] == {
            "time": int(OPENED.timestamp()),
            "open": float(first_five[0].open),
            "high": float(max(bar.high for bar in first_five)),
            "low": float(min(bar.low for bar in first_five)),
            "close": float(first_five[-1].close),
        }

    def test_fills_are_marked_on_the_candle_of_their_bar(self) -> None:
        series = minute_bars(2_000)
        late = fill(executed_at=OPENED + dt.timedelta(minutes=1_237, seconds=30))

        chart = chart_of(series, [late])

        assert chart is not None
        [marker] = chart["markers"]
        assert marker["time"] == int(OPENED.timestamp()) + 1_235 * 60
        assert marker["time"] in {candle["time"] for candle in chart["bars"]}

    def test_merged_candles_start_on_the_traders_whole_hours(self) -> None:
        held = a_position(id=POSITION, executions=[])
        # 16,000 minutes need more than 500 candles of 30 minutes: hours it is, which
        # India's half-hour offset sets apart from UTC's hours.
        series = minute_bars(16_000)

        chart = price_chart(series, held, "Asia/Kolkata")

        assert chart is not None
        assert chart["candle_span"] == "1 hour"
        kolkata = ZoneInfo("Asia/Kolkata")
        first = chart_time(OPENED, kolkata)
        assert [candle["time"] % 3_600 for candle in chart["bars"]] == [0] * len(chart["bars"])
        assert chart["bars"][0]["time"] == first - first % 3_600

    def test_years_of_daily_bars_become_weeks_starting_on_monday(self) -> None:
        monday = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
        series = a_position_bars(["100"] * 800, start=monday, interval="1d")

        chart = chart_of(series, [])

        assert chart is not None
        assert chart["candle_span"] == "1 week"
        assert len(chart["bars"]) == 115
        weekdays = {
            dt.datetime.fromtimestamp(candle["time"], dt.UTC).weekday() for candle in chart["bars"]
        }
        assert weekdays == {0}

    def test_daily_bars_keep_their_date_in_any_zone(self) -> None:
        day = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
        held = a_position(id=POSITION, executions=[])

        chart = price_chart(
            a_position_bars(["1"], start=day, interval="1d"), held, "America/New_York"
        )

        assert chart is not None
        assert chart["bars"][0]["time"] == int(day.timestamp())

    def test_each_bar_is_shifted_by_its_own_offset_across_a_dst_change(self) -> None:
        # New York springs forward at 07:00 UTC on 8 March 2026.
        start = dt.datetime(2026, 3, 8, 4, 0, tzinfo=dt.UTC)
        series = minute_bars(400, start=start)
        held = a_position(id=POSITION, executions=[])

        chart = price_chart(series, held, "America/New_York")

        assert chart is not None
        new_york = ZoneInfo("America/New_York")
        assert [candle["time"] for candle in chart["bars"]] == [
            chart_time(bar.time, new_york) for bar in series.bars
        ]

    def test_the_hour_a_wall_clock_repeats_is_folded_so_times_keep_ascending(self) -> None:
        # New York falls back at 06:00 UTC on 1 November 2026: 01:00-01:59 comes twice.
        start = dt.datetime(2026, 11, 1, 5, 0, tzinfo=dt.UTC)
        series = minute_bars(120, start=start)
        repeated = fill(executed_at=start + dt.timedelta(minutes=90))
        held = a_position(id=POSITION, executions=[repeated])

        chart = price_chart(series, held, "America/New_York")

        assert chart is not None
        times = [candle["time"] for candle in chart["bars"]]
        assert times == sorted(set(times))
        assert len(times) == 60
        folded = series.bars[59:]
        assert chart["bars"][-1]["high"] == float(max(bar.high for bar in folded))
        assert chart["bars"][-1]["close"] == float(series.bars[-1].close)
        assert chart["markers"][0]["time"] == times[-1]
