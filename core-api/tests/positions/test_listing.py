from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Trader, execution
from tests.executions.test_endpoints import post_batch

OPTION = {
    "asset_class": "option",
    "symbol": "AAPL  260320C00150000",
    "underlying": "AAPL",
    "expiry": "2026-03-20",
    "strike": "150",
    "right": "call",
    "multiplier": "100",
}


def mixed_book() -> list[dict[str, Any]]:
    """Seven positions: longs and shorts, wins, losses, a breakeven, an option, one open."""
    return [
        execution("a1", "buy", "10", "100", "2026-03-02T10:00:00-05:00", "AAPL"),
        execution("a2", "sell", "10", "103", "2026-03-02T11:00:00-05:00", "AAPL"),
        execution("m1", "sell", "5", "50", "2026-03-03T10:00:00-05:00", "MSFT"),
        execution("m2", "buy", "5", "52", "2026-03-03T12:00:00-05:00", "MSFT"),
        execution("t1", "buy", "1", "200", "2026-03-04T10:00:00-05:00", "TSLA"),
        execution("t2", "sell", "1", "200", "2026-03-05T10:00:00-05:00", "TSLA"),
        execution("o1", "buy", "1", "2.5", "2026-03-05T10:30:00-05:00", instrument=OPTION),
        execution("o2", "sell", "1", "3.1", "2026-03-05T15:00:00-05:00", instrument=OPTION),
        execution("n1", "buy", "3", "10", "2026-03-06T10:00:00-05:00", "NVDA"),
        execution("n2", "sell", "3", "9", "2026-03-06T11:00:00-05:00", "NVDA"),
        execution("q1", "sell", "2", "400", "2026-03-09T09:45:00-04:00", "QQQ"),
        execution("q2", "buy", "2", "390", "2026-03-09T10:45:00-04:00", "QQQ"),
        # Opened a minute before midnight in New York: 05:59 UTC the next day.
        execution("x1", "buy", "1", "20", "2026-03-09T23:59:00-04:00", "SPY"),
    ]


def symbols(client: TestClient, trader: Trader, query: str) -> list[str]:
    response = client.get(f"/v1/positions?{query}", headers=trader.headers)
    assert response.status_code == 200, response.text
    return [
        p["instrument"].get("underlying") or p["instrument"]["symbol"]
        for p in response.json()["items"]
    ]


def walk(client: TestClient, trader: Trader, query: str, limit: int) -> list[dict[str, Any]]:
    """Every position of a list, page by page."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        url = f"/v1/positions?{query}&limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url, headers=trader.headers).json()
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


@pytest.fixture
def book(client: TestClient, workers: dict[str, str], trader: Trader) -> Trader:
    post_batch(client, workers, trader, mixed_book())
    return trader


class TestPositionFilters:
    def test_the_default_order_is_most_recently_opened_first(
        self, client: TestClient, book: Trader
    ) -> None:
        assert symbols(client, book, "") == ["SPY", "QQQ", "NVDA", "AAPL", "TSLA", "MSFT", "AAPL"]

    def test_start_and_end_are_inclusive_trading_days_of_the_opening(
        self, client: TestClient, book: Trader
    ) -> None:
        assert symbols(client, book, "start=2026-03-03&end=2026-03-05") == [
            "AAPL",
            "TSLA",
            "MSFT",
        ]

    def test_a_position_opened_late_evening_belongs_to_that_day_in_the_account_zone(
        self, client: TestClient, book: Trader
    ) -> None:
        assert symbols(client, book, "start=2026-03-09&end=2026-03-09") == ["SPY", "QQQ"]

    def test_symbol_matches_the_symbol_or_an_option_s_underlying(
        self, client: TestClient, book: Trader
    ) -> None:
        assert symbols(client, book, "symbol=aapl") == ["AAPL", "AAPL"]

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("direction=short", ["QQQ", "MSFT"]),
            ("asset_class=option", ["AAPL"]),
            ("outcome=win", ["QQQ", "AAPL", "AAPL"]),
            ("outcome=loss", ["NVDA", "MSFT"]),
            ("outcome=breakeven", ["TSLA"]),
            ("status=open", ["SPY"]),
            ("status=closed&direction=long&outcome=win", ["AAPL", "AAPL"]),
        ],
    )
    def test_each_filter_keeps_only_what_it_names(
        self, client: TestClient, book: Trader, query: str, expected: list[str]
    ) -> None:
        assert symbols(client, book, query) == expected

    def test_tag_keeps_the_positions_tagged_with_it(self, client: TestClient, book: Trader) -> None:
        items = client.get("/v1/positions?symbol=NVDA", headers=book.headers).json()["items"]
        client.patch(
            f"/v1/positions/{items[0]['id']}",
            json={"tags": ["fomo", "breakout"]},
            headers=book.headers,
        )
        assert symbols(client, book, "tag=fomo") == ["NVDA"]
        assert symbols(client, book, "tag=calm") == []

    def test_another_trader_s_account_is_not_found(
        self, client: TestClient, book: Trader, other_trader: Trader
    ) -> None:
        response = client.get(
            f"/v1/positions?account_id={other_trader.account_id}", headers=book.headers
        )
        assert response.status_code == 404

    def test_the_internal_list_takes_the_same_filters(
        self, client: TestClient, workers: dict[str, str], book: Trader
    ) -> None:
        response = client.get(
            f"/internal/users/{book.id}/positions?outcome=loss&sort=realised_pnl_net",
            headers=workers,
        )
        assert [p["instrument"]["symbol"] for p in response.json()["items"]] == ["MSFT", "NVDA"]


SORTS = [
    "opened_at",
    "-opened_at",
    "closed_at",
    "-closed_at",
    "realised_pnl_net",
    "-realised_pnl_net",
]


class TestPositionSorts:
    def test_paging_visits_every_position_once_in_sort_order(
        self, client: TestClient, book: Trader
    ) -> None:
        for sort in SORTS:
            field = sort.removeprefix("-")
            key = Decimal if field == "realised_pnl_net" else str
            for limit in (1, 2, 3):
                items = walk(client, book, f"sort={sort}", limit)
                assert len({p["id"] for p in items}) == len(items) == 7, (sort, limit)
                present = [p[field] for p in items if p.get(field) is not None]
                assert present == sorted(present, key=key, reverse=sort.startswith("-"))
                if field == "closed_at":
                    assert items[-1]["status"] == "open"

    def test_net_p_and_l_sorts_by_amount_not_by_text(
        self, client: TestClient, book: Trader
    ) -> None:
        items = walk(client, book, "sort=-realised_pnl_net&status=closed", 50)
        assert [p["realised_pnl_net"] for p in items] == ["60", "30", "20", "0", "-3", "-10"]


class TestBadListQueries:
    @pytest.mark.parametrize(
        ("query", "location"),
        [
            ("sort=symbol", "query.sort"),
            ("status=pending", "query.status"),
            ("direction=up", "query.direction"),
            ("asset_class=bond", "query.asset_class"),
            ("outcome=draw", "query.outcome"),
            ("start=yesterday", "query.start"),
            ("end=2026-02-30", "query.end"),
            ("start=2026-03-05&end=2026-03-04", "query.start"),
            ("limit=0", "query.limit"),
            ("account_id=nope", "query.account_id"),
        ],
    )
    def test_a_bad_value_is_a_problem_naming_the_parameter(
        self, client: TestClient, trader: Trader, query: str, location: str
    ) -> None:
        response = client.get(f"/v1/positions?{query}", headers=trader.headers)
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert [e["location"] for e in response.json()["errors"]] == [location]

    def test_a_cursor_of_another_sort_is_refused(self, client: TestClient, book: Trader) -> None:
        first = client.get("/v1/positions?limit=1", headers=book.headers).json()
        response = client.get(
            f"/v1/positions?sort=closed_at&cursor={first['next_cursor']}", headers=book.headers
        )
        assert response.status_code == 400
        assert response.json()["errors"][0]["location"] == "query.cursor"
