from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Trader
from tests.executions.test_endpoints import post_batch
from tests.positions.test_endpoints import three_round_trips


def positions_of(client: TestClient, workers: dict[str, str], trader: Trader) -> list[str]:
    post_batch(client, workers, trader, three_round_trips())
    items = client.get("/v1/positions?sort=opened_at", headers=trader.headers).json()["items"]
    return [item["id"] for item in items]


def change(client: TestClient, trader: Trader, **body: Any) -> Any:
    return client.post("/v1/positions/tags", json=body, headers=trader.headers)


def tags_by_id(client: TestClient, trader: Trader) -> dict[str, list[str]]:
    items = client.get("/v1/positions", headers=trader.headers).json()["items"]
    return {item["id"]: item["tags"] for item in items}


class TestBulkTagging:
    def test_tags_are_added_to_and_removed_from_every_listed_position(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        first, second, third = positions_of(client, workers, trader)
        client.patch(
            f"/v1/positions/{first}", json={"tags": ["FOMO", "Breakout"]}, headers=trader.headers
        )
        response = change(
            client,
            trader,
            position_ids=[first, second],
            add=["A+ setup", "breakout"],
            remove=["fomo"],
        )
        assert response.status_code == 200, response.text
        assert [item["id"] for item in response.json()["items"]] == [first, second]
        assert tags_by_id(client, trader) == {
            first: ["Breakout", "A+ setup"],
            second: ["A+ setup", "breakout"],
            third: [],
        }
        # The list filter and the trader's vocabulary follow.
        filtered = client.get("/v1/positions?tag=a%2B%20setup", headers=trader.headers).json()
        assert {item["id"] for item in filtered["items"]} == {first, second}
        names = [
            tag["name"] for tag in client.get("/v1/tags", headers=trader.headers).json()["items"]
        ]
        assert "A+ setup" in names

    def test_one_position_of_another_trader_changes_nothing_and_answers_404(
        self, client: TestClient, workers: dict[str, str], trader: Trader, other_trader: Trader
    ) -> None:
        mine = positions_of(client, workers, trader)
        theirs = positions_of(client, workers, other_trader)
        response = change(client, trader, position_ids=[*mine, theirs[0]], add=["late"])
        assert response.status_code == 404
        assert set(map(tuple, tags_by_id(client, trader).values())) == {()}
        assert set(map(tuple, tags_by_id(client, other_trader).values())) == {()}
        missing = change(client, trader, position_ids=[str(uuid.uuid4())], add=["late"])
        assert missing.status_code == 404

    def test_bad_changes_are_refused_naming_the_field(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        ids = positions_of(client, workers, trader)
        cases = {
            "body": {"position_ids": ids},
            "body.remove.0": {"position_ids": ids, "add": ["x"], "remove": ["X"]},
            "body.add.1": {"position_ids": ids, "add": ["ok", " "]},
            "body.position_ids": {"position_ids": [], "add": ["x"]},
        }
        for location, body in cases.items():
            response = change(client, trader, **body)
            assert response.status_code == 422, location
            assert response.json()["errors"][0]["location"] == location

    def test_a_batch_larger_than_the_limit_is_refused(
        self, client: TestClient, trader: Trader
    ) -> None:
        ids = [str(uuid.uuid4()) for _ in range(201)]
        response = change(client, trader, position_ids=ids, add=["x"])
        assert response.status_code == 422
        assert response.json()["errors"][0]["location"] == "body.position_ids"
