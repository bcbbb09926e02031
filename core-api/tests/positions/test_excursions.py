from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.conftest import Trader, events_of, execution
from tests.executions.test_endpoints import post_batch

EXCURSIONS = {
    "mae": "-45.5",
    "mfe": "120",
    "mae_price": "49.545",
    "mfe_price": "51.2",
    "currency": "USD",
    "interval": "1m",
}


def round_trip(client: TestClient, workers: dict[str, str], trader: Trader) -> uuid.UUID:
    post_batch(
        client,
        workers,
        trader,
        [
            execution("x1", "buy", "100", "50", "2026-03-02T10:00:00-05:00"),
            execution("x2", "sell", "100", "51", "2026-03-02T11:00:00-05:00"),
        ],
    )
    [position] = client.get("/v1/positions", headers=trader.headers).json()["items"]
    return uuid.UUID(position["id"])


def put_excursions(
    client: TestClient,
    workers: dict[str, str],
    trader: Trader,
    position_id: uuid.UUID,
    body: dict[str, Any] = EXCURSIONS,
) -> int:
    path = f"/internal/users/{trader.id}/positions/{position_id}/excursions"
    return client.put(path, json=body, headers=workers).status_code


class TestExcursions:
    def test_stored_excursions_show_on_the_position_and_are_announced(
        self, client: TestClient, workers: dict[str, str], trader: Trader, session: Session
    ) -> None:
        position_id = round_trip(client, workers, trader)
        before = client.get(f"/v1/positions/{position_id}", headers=trader.headers).json()
        assert before.get("mae") is None
        assert put_excursions(client, workers, trader, position_id) == 204
        position = client.get(
            f"/internal/users/{trader.id}/positions/{position_id}", headers=workers
        ).json()
        assert [position[f] for f in ("mae", "mfe", "mae_price", "mfe_price")] == [
            "-45.5",
            "120",
            "49.545",
            "51.2",
        ]
        [event] = events_of(session, trader.id, "market_data.enriched.v1")
        assert event["data"]["position_id"] == str(position_id)
        assert (event["data"]["mae"], event["data"]["mfe"]) == ("-45.5", "120")

    def test_new_fills_in_the_position_make_them_unknown_again(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        position_id = round_trip(client, workers, trader)
        put_excursions(client, workers, trader, position_id)
        # A late scale-in before the exit changes the position's fills.
        post_batch(
            client,
            workers,
            trader,
            [
                execution("x0", "buy", "50", "49.9", "2026-03-02T10:30:00-05:00"),
                execution("x3", "sell", "50", "51.1", "2026-03-02T11:30:00-05:00"),
            ],
        )
        position = client.get(f"/v1/positions/{position_id}", headers=trader.headers).json()
        assert position["max_quantity"] == "150"
        assert position.get("mae") is None

    def test_another_currency_or_another_trader_s_position_is_refused(
        self, client: TestClient, workers: dict[str, str], trader: Trader, other_trader: Trader
    ) -> None:
        position_id = round_trip(client, workers, trader)
        assert (
            put_excursions(client, workers, trader, position_id, EXCURSIONS | {"currency": "EUR"})
            == 422
        )
        assert put_excursions(client, workers, other_trader, position_id) == 404
        path = f"/internal/users/{other_trader.id}/positions/{position_id}"
        assert client.get(path, headers=workers).status_code == 404
