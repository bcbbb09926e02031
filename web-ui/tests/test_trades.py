import csv
import io
import uuid
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import httpx
from tradeloop_contracts import PositionPage

from tests.conftest import SESSION_COOKIE
from tests.factories import ACCOUNT_ID, a_plan, a_position, a_position_page, a_rule
from tests.html import all_by_testid, by_testid, page, text_of
from tests.stub_edge import StubEdge


def query_of(href: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(href).query).items()}


class TestTradesPage:
    def test_every_position_of_the_page_is_a_row_linking_to_it(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        first = a_position(tags=["breakout", "a+ setup"])
        second = a_position(instrument={"asset_class": "crypto", "symbol": "ETH-USD"})
        edge.answer("GET", "/api/v1/positions", a_position_page(first, second))

        soup = page(browser.get("/trades"))

        rows = all_by_testid(soup, "trade-row")
        assert [row["data-position-id"] for row in rows] == [str(first.id), str(second.id)]
        assert "breakout, a+ setup" in text_of(rows[0])
        assert rows[1].select_one(f'a[href="/positions/{second.id}"]') is not None
        assert edge.received("GET", "/api/v1/positions")[0].query == {"limit": "50"}

    def test_filters_are_passed_to_edge_and_shown_back_in_the_form(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.answer("GET", "/api/v1/positions", a_position_page())
        query = {
            "start": "2026-03-01",
            "end": "2026-03-31",
            "account_id": str(ACCOUNT_ID),
            "symbol": "AAPL",
            "direction": "short",
            "asset_class": "option",
            "outcome": "loss",
            "tag": "fomo",
            "sort": "realised_pnl_net",
        }

        soup = page(browser.get("/trades", params=query))

        assert edge.received("GET", "/api/v1/positions")[0].query == {**query, "limit": "50"}
        form = by_testid(soup, "trades-filters")
        assert form.select_one("#trades-symbol")["value"] == "AAPL"  # type: ignore[index]
        assert form.select_one("#trades-direction option[selected]")["value"] == "short"  # type: ignore[index]
        assert "No positions match these filters" in text_of(soup)

    def test_the_rules_of_the_plan_filter_the_trades_that_broke_one(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        one_a_day = a_rule("max_trades_per_day", "One a day", count=1)
        edge.answer("GET", "/api/v1/plan", a_plan(one_a_day, a_rule("symbols", "Only ES")))
        edge.answer("GET", "/api/v1/positions", a_position_page())

        soup = page(browser.get("/trades", params={"rule_id": str(one_a_day["id"])}))

        assert edge.received("GET", "/api/v1/positions")[0].query == {
            "rule_id": str(one_a_day["id"]),
            "limit": "50",
        }
        options = by_testid(soup, "trades-filters").select("#trades-rule_id option")
        assert [text_of(option) for option in options] == ["Any", "One a day", "Only ES"]
        chosen = by_testid(soup, "trades-filters").select_one("#trades-rule_id option[selected]")
        assert chosen is not None
        assert chosen["value"] == str(one_a_day["id"])

    def test_without_a_plan_there_is_no_rule_to_filter_by(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.answer("GET", "/api/v1/positions", a_position_page())

        soup = page(browser.get("/trades"))

        assert soup.select_one("#trades-rule_id") is None

    def test_blank_filters_are_left_out(self, browser: httpx.Client, edge: StubEdge) -> None:
        edge.answer("GET", "/api/v1/positions", a_position_page())

        browser.get("/trades", params={"symbol": " ", "direction": "", "outcome": ""})

        assert edge.received("GET", "/api/v1/positions")[0].query == {"limit": "50"}

    def test_an_unknown_side_is_refused_by_name(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        response = browser.get("/trades", params={"direction": "sideways"})

        assert response.status_code == 422
        assert "query.direction" in text_of(page(response))
        assert edge.received("GET", "/api/v1/positions") == []

    def test_a_sorted_column_link_reverses_it_and_keeps_the_filters(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.answer("GET", "/api/v1/positions", a_position_page(a_position()))

        soup = page(browser.get("/trades", params={"symbol": "AAPL", "sort": "-realised_pnl_net"}))

        pnl = by_testid(soup, "sort-realised_pnl_net")
        assert query_of(str(pnl["href"])) == {"symbol": "AAPL", "sort": "realised_pnl_net"}
        heading = pnl.find_parent("th")
        assert heading is not None
        assert heading["aria-sort"] == "descending"
        opened = by_testid(soup, "sort-opened_at")
        assert query_of(str(opened["href"])) == {"symbol": "AAPL", "sort": "-opened_at"}

    def test_the_next_page_link_carries_the_cursor_and_the_filters(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.answer(
            "GET",
            "/api/v1/positions",
            PositionPage(items=[a_position()], next_cursor="opaque+/="),
        )

        soup = page(browser.get("/trades", params={"outcome": "win"}))

        assert query_of(str(by_testid(soup, "next-page")["href"])) == {
            "outcome": "win",
            "cursor": "opaque+/=",
        }
        following = page(browser.get(str(by_testid(soup, "next-page")["href"])))
        assert edge.received("GET", "/api/v1/positions")[1].query["cursor"] == "opaque+/="
        assert query_of(str(by_testid(following, "first-page")["href"])) == {"outcome": "win"}


class TestTradesExport:
    def test_the_export_streams_every_page_as_csv(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        first = a_position(realised_pnl_net=Decimal("-12.50"), tags=["=HYPERLINK()"])
        second = a_position(instrument={"asset_class": "crypto", "symbol": "BTC-USD"})
        edge.answer("GET", "/api/v1/positions", PositionPage(items=[first], next_cursor="p2"))
        edge.answer("GET", "/api/v1/positions", a_position_page(second), when={"cursor": "p2"})

        response = browser.get("/trades.csv", params={"outcome": "win", "cursor": "ignored"})

        assert response.status_code == 200
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        assert "attachment" in response.headers["content-disposition"]
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert [row["id"] for row in rows] == [str(first.id), str(second.id)]
        assert rows[0]["realised_pnl_net"] == "-12.50"
        assert rows[0]["tags"] == "'=HYPERLINK()"
        assert rows[1]["symbol"] == "BTC-USD"
        calls = edge.received("GET", "/api/v1/positions")
        assert [call.query for call in calls] == [
            {"outcome": "win", "limit": "500"},
            {"outcome": "win", "limit": "500", "cursor": "p2"},
        ]
        assert all(call.headers["cookie"] == SESSION_COOKIE for call in calls)

    def test_an_export_without_a_session_goes_to_log_in(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.answer("GET", "/api/v1/positions", b"", status=401)

        response = browser.get("/trades.csv")

        assert response.status_code == 303
        assert response.headers["location"] == "/login"

    def test_a_failing_later_page_cuts_the_download_short(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.answer(
            "GET", "/api/v1/positions", PositionPage(items=[a_position()], next_cursor="p2")
        )
        edge.answer("GET", "/api/v1/positions", b"{}", status=500, when={"cursor": "p2"})

        try:
            response = browser.get("/trades.csv")
        except httpx.RemoteProtocolError:
            return
        raise AssertionError(f"the export looked complete: {response.status_code}")


def test_an_account_id_that_is_not_a_uuid_is_refused(browser: httpx.Client, edge: StubEdge) -> None:
    response = browser.get("/trades", params={"account_id": str(uuid.uuid4())[:8]})

    assert response.status_code == 422
    assert edge.received("GET", "/api/v1/positions") == []
