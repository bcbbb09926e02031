from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Trader, execution
from tests.executions.test_endpoints import post_batch


def three_round_trips() -> list[dict[str, Any]]:
    fills = []
    for day in (2, 3, 4):
        fills.append(execution(f"b{day}", "buy", "10", "100", f"2026-03-0{day}T10:00:00-05:00"))
        fills.append(execution(f"s{day}", "sell", "10", "101", f"2026-03-0{day}T11:00:00-05:00"))
    return fills


class TestPositions:
    def test_pages_follow_the_cursor_newest_first(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        post_batch(client, workers, trader, three_round_trips())
        first = client.get("/v1/positions?limit=2", headers=trader.headers).json()
        second = client.get(
            f"/v1/positions?limit=2&cursor={first['next_cursor']}", headers=trader.headers
        ).json()
        opened = [p["opened_at"] for p in first["items"] + second["items"]]
        assert opened == [
            "2026-03-04T15:00:00Z",
            "2026-03-03T15:00:00Z",
            "2026-03-02T15:00:00Z",
        ]
        assert second["next_cursor"] is None

    def test_status_filter_keeps_only_open_positions(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        post_batch(client, workers, trader, [*three_round_trips()[:3]])
        items = client.get("/v1/positions?status=open", headers=trader.headers).json()["items"]
        assert [(p["status"], p["open_quantity"]) for p in items] == [("open", "10")]

    def test_detail_lists_the_position_s_executions(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        post_batch(client, workers, trader, three_round_trips()[:2])
        [position] = client.get("/v1/positions", headers=trader.headers).json()["items"]
        detail = client.get(f"/v1/positions/{position['id']}", headers=trader.headers).json()
        assert [e["broker_execution_id"] for e in detail["executions"]] == ["b2", "s2"]
        assert {e["position_id"] for e in detail["executions"]} == {position["id"]}
        assert detail["realised_pnl_net"] == "10"
        assert detail["outcome"] == "win"
        assert detail["holding_seconds"] == 3600

    def test_a_malformed_cursor_is_a_problem(self, client: TestClient, trader: Trader) -> None:
        response = client.get("/v1/positions?cursor=%%%", headers=trader.headers)
        assert response.status_code == 400
        assert response.json()["errors"][0]["location"] == "query.cursor"

    def test_the_coach_reads_a_trader_s_positions(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        post_batch(client, workers, trader, three_round_trips())
        response = client.get(
            f"/internal/users/{trader.id}/positions?status=closed", headers=workers
        )
        assert len(response.json()["items"]) == 3

    def test_an_unknown_position_is_not_found(self, client: TestClient, trader: Trader) -> None:
        response = client.get(f"/v1/positions/{uuid.uuid4()}", headers=trader.headers)
        assert response.status_code == 404


class TestStatisticsEndpoint:
    def test_statistics_cover_closed_positions_by_trading_day(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        post_batch(client, workers, trader, three_round_trips())
        stats = client.get(
            "/v1/statistics?start=2026-03-03&end=2026-03-04", headers=trader.headers
        ).json()
        assert stats["trades"] == 2
        assert stats["net_pnl"] == "20"
        assert stats["no_losses"] is True
        assert [d["day"] for d in stats["calendar"]] == ["2026-03-03", "2026-03-04"]

    def test_start_after_end_is_a_problem(self, client: TestClient, trader: Trader) -> None:
        response = client.get(
            "/v1/statistics?start=2026-03-05&end=2026-03-04", headers=trader.headers
        )
        assert response.status_code == 422


class TestTradingDays:
    def test_a_position_closed_after_midnight_utc_counts_for_the_new_york_day(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        post_batch(
            client,
            workers,
            trader,
            [
                execution("b", "buy", "1", "10", "2026-03-02T20:00:00Z"),
                execution("s", "sell", "1", "9", "2026-03-03T02:00:00Z"),
            ],
        )
        stats = client.get("/v1/statistics", headers=trader.headers).json()
        assert [(d["day"], d["net_pnl"]) for d in stats["calendar"]] == [("2026-03-02", "-1")]
        assert stats["max_drawdown"] == "1"
