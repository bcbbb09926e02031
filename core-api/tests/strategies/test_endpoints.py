from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from core_api.strategies import service
from tests.conftest import Trader, execution
from tests.executions.test_endpoints import post_batch

OPENED = "2026-03-02T14:40:00Z"
CLOSED = "2026-03-05T19:10:00Z"


def leg(
    broker_id: str,
    side: str,
    right: str,
    strike: str,
    price: str,
    at: str,
    order: str | None = None,
    underlying: str = "SPY",
    **extra: Any,
) -> dict[str, Any]:
    """One fill of a SPY option (or another underlying's) expiring 2026-03-20."""
    instrument = {
        "asset_class": "option",
        "symbol": f"{underlying:<6}260320{right[0].upper()}{int(strike) * 1000:08d}",
        "underlying": underlying,
        "expiry": "2026-03-20",
        "strike": strike,
        "right": right,
        "multiplier": "100",
    }
    return execution(
        broker_id, side, "1", price, at, instrument=instrument, order_id=order, **extra
    )


def vertical(order: str = "open-1", closing_order: str = "close-1") -> list[dict[str, Any]]:
    """A 510/515 call spread: +210 and -25 gross, 0.65 a fill, so 182.40 net."""
    costs = {"commission": "0.65"}
    return [
        leg("v1", "buy", "call", "510", "4.10", OPENED, order, **costs),
        leg("v2", "sell", "call", "515", "2.05", "2026-03-02T14:40:02Z", order, **costs),
        leg("v3", "sell", "call", "510", "6.20", CLOSED, closing_order, **costs),
        leg("v4", "buy", "call", "515", "2.30", "2026-03-05T19:10:03Z", closing_order, **costs),
    ]


def straddle() -> list[dict[str, Any]]:
    """Bought in one minute without order ids: the call wins 300, the put loses 400."""
    return [
        leg("s1", "buy", "call", "500", "5", "2026-03-04T15:00:01Z"),
        leg("s2", "buy", "put", "500", "5", "2026-03-04T15:00:58Z"),
        leg("s3", "sell", "call", "500", "8", "2026-03-04T18:00:00Z"),
        leg("s4", "sell", "put", "500", "1", "2026-03-04T19:30:00Z"),
    ]


def strategies(client: TestClient, trader: Trader, query: str = "") -> list[dict[str, Any]]:
    response = client.get(f"/v1/strategies{query}", headers=trader.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


class TestGrouping:
    def test_legs_of_one_order_are_one_vertical_with_summed_results(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        post_batch(client, workers, trader, vertical())
        [strategy] = strategies(client, trader)
        assert strategy["kind"] == "vertical"
        assert strategy["underlying"] == "SPY"
        assert strategy["status"] == "closed"
        assert strategy["opened_at"] == OPENED
        assert strategy["closed_at"] == "2026-03-05T19:10:03Z"
        assert strategy["realised_pnl_net"] == "182.4"
        assert strategy["fees"] == "2.6"
        assert [(p["direction"], p["realised_pnl_net"]) for p in strategy["legs"]] == [
            ("long", "208.7"),
            ("short", "-26.3"),
        ]
        for position in client.get("/v1/positions", headers=trader.headers).json()["items"]:
            assert position["strategy_id"] == strategy["id"]

    def test_legs_of_one_minute_are_one_strategy_without_order_ids(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        post_batch(client, workers, trader, straddle())
        [strategy] = strategies(client, trader)
        assert (strategy["kind"], strategy["realised_pnl_net"]) == ("straddle", "-100")
        assert len(strategy["legs"]) == 2

    def test_legs_in_other_minutes_and_orders_are_not_grouped(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        post_batch(
            client,
            workers,
            trader,
            [
                leg("a", "buy", "call", "510", "4", "2026-03-02T14:40:59Z", "o1"),
                leg("b", "sell", "call", "515", "2", "2026-03-02T14:41:00Z", "o2"),
            ],
        )
        assert strategies(client, trader) == []
        positions = client.get("/v1/positions", headers=trader.headers).json()["items"]
        assert [p["strategy_id"] for p in positions] == [None, None]

    def test_instruments_looked_up_in_slices_group_as_at_once(
        self,
        client: TestClient,
        workers: dict[str, str],
        trader: Trader,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """An import of many options asks for their underlyings a slice at a time (one
        PostgreSQL statement takes 65,535 parameters); slices of one give the same."""
        monkeypatch.setattr(service, "KEYS_PER_STATEMENT", 1)
        qqq = [
            leg(f"q{index}", side, right, "400", price, at, underlying="QQQ")
            for index, (side, right, price, at) in enumerate(
                [
                    ("buy", "call", "5", "2026-03-04T15:00:01Z"),
                    ("buy", "put", "5", "2026-03-04T15:00:58Z"),
                    ("sell", "call", "8", "2026-03-04T18:00:00Z"),
                    ("sell", "put", "1", "2026-03-04T19:30:00Z"),
                ]
            )
        ]
        post_batch(client, workers, trader, [*vertical(), *qqq])
        assert sorted((s["underlying"], s["kind"]) for s in strategies(client, trader)) == [
            ("QQQ", "straddle"),
            ("SPY", "vertical"),
        ]

    def test_two_accounts_are_never_grouped(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        other = client.post(
            "/v1/accounts", json={"name": "Second", "broker": "ibkr"}, headers=trader.headers
        )
        assert other.status_code == 201, other.text
        first, second = vertical()[:2]
        post_batch(client, workers, trader, [first])
        response = client.post(
            f"/internal/users/{trader.id}/executions/batch",
            json={"account_id": other.json()["id"], "executions": [second]},
            headers=workers,
        )
        assert response.status_code == 200, response.text
        assert strategies(client, trader) == []

    def test_a_stock_bought_with_a_call_sold_is_a_covered_call(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        post_batch(
            client,
            workers,
            trader,
            [
                execution("st", "buy", "100", "500", OPENED, "SPY", order_id="cc"),
                leg("c", "sell", "call", "520", "3", OPENED, "cc"),
            ],
        )
        [strategy] = strategies(client, trader)
        assert strategy["kind"] == "covered_call"
        assert {p["instrument"]["asset_class"] for p in strategy["legs"]} == {"stock", "option"}


class TestRebuilding:
    def test_a_later_import_keeps_the_strategy_s_id_and_closes_it(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        fills = vertical()
        post_batch(client, workers, trader, fills[:2])
        [opened] = strategies(client, trader)
        assert (opened["status"], opened["realised_pnl_net"]) == ("open", "-1.3")
        post_batch(client, workers, trader, fills[2:])
        post_batch(client, workers, trader, fills)  # the same file again adds nothing
        [closed] = strategies(client, trader)
        assert closed["id"] == opened["id"]
        assert (closed["status"], closed["realised_pnl_net"]) == ("closed", "182.4")

    def test_a_late_fill_in_the_same_order_adds_a_leg_to_the_same_strategy(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        post_batch(client, workers, trader, vertical()[:2])
        [before] = strategies(client, trader)
        post_batch(client, workers, trader, [leg("v5", "buy", "put", "500", "1", OPENED, "open-1")])
        [after] = strategies(client, trader)
        assert after["id"] == before["id"]
        assert (after["kind"], len(after["legs"])) == ("custom", 3)


class TestRolls:
    def test_closing_a_vertical_in_the_order_that_opens_the_next_links_them(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        post_batch(
            client,
            workers,
            trader,
            [
                *vertical(closing_order="roll"),
                leg("n1", "buy", "call", "520", "3", "2026-03-05T19:10:04Z", "roll"),
                leg("n2", "sell", "call", "525", "1.5", "2026-03-05T19:10:04Z", "roll"),
            ],
        )
        newer, older = strategies(client, trader)
        assert newer["rolled_from"] == older["id"]
        assert older["rolled_to"] == newer["id"]
        assert (older["rolled_from"], newer["rolled_to"]) == (None, None)
        detail = client.get(f"/v1/strategies/{older['id']}", headers=trader.headers).json()
        assert detail["rolled_to"] == newer["id"]


class TestListing:
    def test_filters_and_pages(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        post_batch(client, workers, trader, [*vertical(), *straddle()[:2]])
        first = client.get("/v1/strategies?limit=1", headers=trader.headers).json()
        second = client.get(
            f"/v1/strategies?limit=1&cursor={first['next_cursor']}", headers=trader.headers
        ).json()
        assert [s["kind"] for s in first["items"] + second["items"]] == ["straddle", "vertical"]
        assert second["next_cursor"] is None
        assert [s["kind"] for s in strategies(client, trader, "?status=open")] == ["straddle"]
        assert [s["kind"] for s in strategies(client, trader, "?end=2026-03-03")] == ["vertical"]
        assert [s["kind"] for s in strategies(client, trader, "?start=2026-03-03")] == ["straddle"]
        assert len(strategies(client, trader, "?underlying=spy")) == 2
        assert strategies(client, trader, "?underlying=QQQ") == []
        mine = strategies(client, trader, f"?account_id={trader.account_id}")
        assert len(mine) == 2

    def test_start_after_end_is_a_problem_naming_it(
        self, client: TestClient, trader: Trader
    ) -> None:
        response = client.get(
            "/v1/strategies?start=2026-03-05&end=2026-03-01", headers=trader.headers
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["location"] == "query.start"

    def test_an_unknown_strategy_is_not_found(self, client: TestClient, trader: Trader) -> None:
        response = client.get(f"/v1/strategies/{uuid.uuid4()}", headers=trader.headers)
        assert response.status_code == 404


class TestStatistics:
    def test_a_strategy_counts_as_one_trade_judged_on_its_net(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        post_batch(
            client,
            workers,
            trader,
            [
                *vertical(),
                *straddle(),
                execution("b", "buy", "10", "100", "2026-03-03T15:00:00Z"),
                execution("s", "sell", "10", "99", "2026-03-03T16:00:00Z"),
            ],
        )
        stats = client.get("/v1/statistics", headers=trader.headers).json()
        # Vertical +182.40 (a win), straddle -100 (a loss, though its call won), AAPL -10.
        assert (stats["trades"], stats["wins"], stats["losses"]) == (3, 1, 2)
        assert stats["net_pnl"] == "72.4"
        assert stats["fees"] == "2.6"
        assert [(d["day"], d["trades"], d["net_pnl"]) for d in stats["calendar"]] == [
            ("2026-03-03", 1, "-10"),
            ("2026-03-04", 1, "-100"),
            ("2026-03-05", 1, "182.4"),
        ]

    def test_an_open_strategy_is_not_counted_until_its_last_leg_closes(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        fills = straddle()
        post_batch(client, workers, trader, fills[:3])
        assert client.get("/v1/statistics", headers=trader.headers).json()["trades"] == 0
        post_batch(client, workers, trader, fills[3:])
        stats = client.get("/v1/statistics", headers=trader.headers).json()
        assert (stats["trades"], stats["losses"], stats["net_pnl"]) == (1, 1, "-100")

    def test_legs_that_leave_a_strategy_count_on_their_own_again(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        post_batch(client, workers, trader, straddle())
        assert client.get("/v1/statistics", headers=trader.headers).json()["trades"] == 1
        # An earlier call fill opens the call's position an hour before the put: no
        # straddle any more, and the call is bought twice, sold twice (+600).
        post_batch(
            client,
            workers,
            trader,
            [
                leg("s0", "buy", "call", "500", "5", "2026-03-04T14:00:00Z"),
                leg("s5", "sell", "call", "500", "8", "2026-03-04T18:30:00Z"),
            ],
        )
        assert strategies(client, trader) == []
        stats = client.get("/v1/statistics", headers=trader.headers).json()
        assert (stats["trades"], stats["wins"], stats["losses"]) == (2, 1, 1)
        assert stats["net_pnl"] == "200"
