import datetime as dt
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup, Tag

from web_ui.rendering import (
    amount,
    drawdown,
    duration,
    markdown_html,
    money,
    number,
    percent,
    when,
)


class TestMoney:
    @pytest.mark.parametrize(
        ("value", "currency", "shown"),
        [
            (Decimal("1234.5"), "USD", "+1,234.50 USD"),
            (Decimal("-0.004"), None, "-0.00"),
            (Decimal("0"), "EUR", "0.00 EUR"),
            (Decimal("-98765.125"), "USD", "-98,765.12 USD"),
            (None, "USD", "—"),
        ],
    )
    def test_amounts_show_sign_separators_and_cents(
        self, value: Decimal | None, currency: str | None, shown: str
    ) -> None:
        assert money(value, currency) == shown

    def test_costs_have_no_sign(self) -> None:
        assert amount(Decimal("2.04"), "USD") == "2.04 USD"
        assert amount(Decimal("-2.04")) == "2.04"

    def test_drawdowns_read_as_losses_whatever_their_reported_sign(self) -> None:
        assert drawdown(Decimal("250"), "USD") == "-250.00 USD"
        assert drawdown(Decimal("-250"), "USD") == "-250.00 USD"
        assert drawdown(Decimal("0")) == "0.00"


class TestNumbers:
    def test_prices_keep_their_precision_without_trailing_zeros(self) -> None:
        assert number(Decimal("187.2500")) == "187.25"
        assert number(Decimal("0.00012")) == "0.00012"
        assert number(Decimal("100")) == "100"
        assert number(Decimal("1E+2")) == "100"

    def test_a_ratio_reads_as_a_percentage(self) -> None:
        assert percent(Decimal("0.6667")) == "66.7%"
        assert percent(None) == "—"


class TestTimes:
    @pytest.mark.parametrize(
        ("seconds", "shown"),
        [(42, "42s"), (125, "2m 5s"), (8100, "2h 15m"), (200_000, "2d 7h"), (None, "—")],
    )
    def test_holding_times_read_in_the_two_largest_units(
        self, seconds: int | None, shown: str
    ) -> None:
        assert duration(seconds) == shown

    def test_times_show_in_the_traders_zone(self) -> None:
        new_york = dt.timezone(dt.timedelta(hours=-5))
        opened = dt.datetime(2026, 3, 2, 9, 30, tzinfo=new_york)

        assert when(opened) == "2026-03-02 14:30 UTC"
        assert when(opened, "America/New_York") == "2026-03-02 09:30 EST"
        assert when(opened, "Europe/Berlin") == "2026-03-02 15:30 CET"
        assert when(dt.date(2026, 3, 2), "Asia/Tokyo") == "2026-03-02"

    def test_an_unknown_zone_falls_back_to_utc(self) -> None:
        opened = dt.datetime(2026, 3, 2, 14, 30, tzinfo=dt.UTC)

        assert when(opened, "Mars/Olympus_Mons") == "2026-03-02 14:30 UTC"
        assert when(opened, "../etc/passwd") == "2026-03-02 14:30 UTC"


class TestMarkdown:
    def test_markdown_becomes_html(self) -> None:
        html = markdown_html(
            "# Plan\n\n- **wait** for the retest\n\n| a | b |\n|---|---|\n| 1 | 2 |"
        )

        assert "<h1>Plan</h1>" in html
        assert "<strong>wait</strong>" in html
        assert "<table>" in html

    @pytest.mark.parametrize(
        "hostile",
        [
            "<script>alert(1)</script>",
            "[x](javascript:alert(1))",
            '<img src=x onerror="alert(1)">',
            "[x](data:text/html;base64,PHNjcmlwdD4=)",
            '<div style="position:fixed">cover</div>',
        ],
    )
    def test_nothing_executable_or_styled_survives(self, hostile: str) -> None:
        soup = BeautifulSoup(markdown_html(hostile), "html.parser")

        assert soup.find(["script", "img", "style", "div"]) is None
        for tag in soup.find_all(True):
            assert isinstance(tag, Tag)
            assert set(tag.attrs) <= {"href", "rel"}, tag
            href = str(tag.get("href", ""))
            assert not href.startswith(("javascript:", "data:")), tag

    def test_links_cannot_reach_the_opener(self) -> None:
        html = markdown_html("[docs](https://example.com)")

        assert 'href="https://example.com"' in html
        assert "noopener" in html
