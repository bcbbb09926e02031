import datetime as dt
from decimal import Decimal

from tradeloop_contracts import DailyPnl, EquityPoint

from web_ui.charts import HEIGHT, equity_chart, heatmap, month_grid, shift_month


def point(day: str, value: str) -> EquityPoint:
    return EquityPoint(day=dt.date.fromisoformat(day), cumulative_net_pnl=Decimal(value))


def daily(day: str, pnl: str, trades: int = 1) -> DailyPnl:
    return DailyPnl(day=dt.date.fromisoformat(day), net_pnl=Decimal(pnl), trades=trades)


class TestEquityChart:
    def test_nothing_to_draw_without_points(self) -> None:
        assert equity_chart([]) is None

    def test_the_highest_value_is_at_the_top_and_the_lowest_at_the_bottom(self) -> None:
        chart = equity_chart([point("2026-03-02", "100"), point("2026-03-03", "-50")])

        assert chart is not None
        ys = [float(pair.split(",")[1]) for pair in chart.path[1:].split(" L")]
        assert ys[0] < chart.zero_y < ys[1]
        assert ys[0] == 8.0
        assert ys[1] == HEIGHT - 8.0
        assert (chart.low, chart.high, chart.final) == (Decimal(-50), Decimal(100), Decimal(-50))

    def test_the_zero_line_stays_in_view_when_every_day_is_a_gain(self) -> None:
        chart = equity_chart([point("2026-03-02", "10"), point("2026-03-03", "30")])

        assert chart is not None
        assert chart.low == 0
        assert chart.zero_y == HEIGHT - 8.0

    def test_a_single_day_is_drawn_as_a_flat_line(self) -> None:
        chart = equity_chart([point("2026-03-02", "10")])

        assert chart is not None
        assert chart.path.count(" L") == 1


class TestCalendar:
    def test_a_month_starts_on_its_weekday_column_and_shades_by_size(self) -> None:
        # March 2026 starts on a Sunday: the last column of the first week.
        grid = month_grid(
            dt.date(2026, 3, 15),
            {d.day: d for d in [daily("2026-03-02", "100"), daily("2026-03-03", "-10")]},
        )

        assert grid.cells[0].day == dt.date(2026, 3, 1)
        assert (grid.cells[0].x, grid.cells[0].y) == (6 * 25, 0)
        assert grid.cells[1].y == 25
        assert grid.cells[1].level == "gain-4"
        assert grid.cells[2].level == "loss-1"
        assert grid.cells[3].level == "none"
        assert (grid.net, grid.trades) == (Decimal(90), 2)

    def test_the_heatmap_spans_first_to_last_month_on_one_scale(self) -> None:
        months = heatmap([daily("2026-01-05", "10"), daily("2026-03-02", "-40")])

        assert [m.first for m in months] == [
            dt.date(2026, 1, 1),
            dt.date(2026, 2, 1),
            dt.date(2026, 3, 1),
        ]
        january = next(c for c in months[0].cells if c.pnl is not None)
        assert january.level == "gain-2"

    def test_a_long_period_shows_its_latest_twelve_months(self) -> None:
        months = heatmap([daily("2024-01-02", "1"), daily("2026-03-02", "1")])

        assert len(months) == 12
        assert months[-1].first == dt.date(2026, 3, 1)

    def test_months_shift_across_years(self) -> None:
        assert shift_month(dt.date(2026, 1, 20), -1) == dt.date(2025, 12, 1)
        assert shift_month(dt.date(2026, 12, 1), 1) == dt.date(2027, 1, 1)
