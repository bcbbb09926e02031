from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Trader
from tests.positions.test_excursions import round_trip


def bar(time: str, close: str) -> dict[str, str]:
    return {
        "time": time,
        "open": "50",
        "high": "51.5",
        "low": "49.5",
        "close": close,
        "volume": "1200",
    }


def series(position_id: uuid.UUID, *bars: dict[str, str]) -> dict[str, Any]:
    return {
        "position_id": str(position_id),
        "symbol": "AAPL",
        "interval": "1m",
        "complete": True,
        "bars": list(bars),
    }


def put_bars(
    client: TestClient,
    workers: dict[str, str],
    trader: Trader,
    position_id: uuid.UUID,
    body: dict[str, Any],
) -> Any:
    return client.put(
        f"/internal/users/{trader.id}/positions/{position_id}/bars", json=body, headers=workers
    )


class TestPositionBars:
    def test_a_position_without_bars_answers_an_empty_incomplete_series(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        position_id = round_trip(client, workers, trader)
        response = client.get(f"/v1/positions/{position_id}/bars", headers=trader.headers)
        assert response.status_code == 200
        assert response.json() == {
            "position_id": str(position_id),
            "symbol": "AAPL",
            "interval": "1m",
            "complete": False,
            "bars": [],
        }

    def test_stored_bars_read_back_exactly_and_a_second_put_replaces_them(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        position_id = round_trip(client, workers, trader)
        first = series(position_id, bar("2026-03-02T15:00:00Z", "50.25"))
        assert put_bars(client, workers, trader, position_id, first).status_code == 204
        second = series(
            position_id,
            bar("2026-03-02T15:00:00Z", "50.10"),
            bar("2026-03-02T15:01:00Z", "50.875"),
        )
        second["interval"] = "5m"
        assert put_bars(client, workers, trader, position_id, second).status_code == 204
        body = client.get(f"/v1/positions/{position_id}/bars", headers=trader.headers).json()
        assert body["interval"] == "5m"
        assert [(b["time"], b["close"]) for b in body["bars"]] == [
            ("2026-03-02T15:00:00Z", "50.10"),
            ("2026-03-02T15:01:00Z", "50.875"),
        ]

    def test_another_traders_position_is_not_found_both_ways(
        self, client: TestClient, workers: dict[str, str], trader: Trader, other_trader: Trader
    ) -> None:
        position_id = round_trip(client, workers, trader)
        assert (
            client.get(
                f"/v1/positions/{position_id}/bars", headers=other_trader.headers
            ).status_code
            == 404
        )
        body = series(position_id, bar("2026-03-02T15:00:00Z", "50"))
        assert put_bars(client, workers, other_trader, position_id, body).status_code == 404

    def test_bars_out_of_order_or_for_another_position_are_refused_by_field(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        position_id = round_trip(client, workers, trader)
        body = series(
            uuid.uuid4(),
            bar("2026-03-02T15:01:00Z", "50"),
            bar("2026-03-02T15:00:00Z", "50"),
        )
        response = put_bars(client, workers, trader, position_id, body)
        assert response.status_code == 422
        assert [e["location"] for e in response.json()["errors"]] == [
            "body.position_id",
            "body.bars.1.time",
        ]

    def test_a_user_token_cannot_store_bars(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        position_id = round_trip(client, workers, trader)
        body = series(position_id, bar("2026-03-02T15:00:00Z", "50"))
        assert put_bars(client, trader.headers, trader, position_id, body).status_code == 401
