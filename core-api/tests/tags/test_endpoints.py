from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Trader


class TestTags:
    def test_a_new_trader_starts_with_setups_mistakes_and_emotions(
        self, client: TestClient, trader: Trader
    ) -> None:
        items = client.get("/v1/tags", headers=trader.headers).json()["items"]
        kinds = {tag["kind"] for tag in items}
        assert kinds == {"setup", "mistake", "emotion"}
        assert {"breakout", "fomo", "calm"} <= {tag["name"] for tag in items}

    def test_a_trader_adds_a_tag_of_their_own_once(
        self, client: TestClient, trader: Trader, other_trader: Trader
    ) -> None:
        created = client.post(
            "/v1/tags", json={"name": "Opening drive", "kind": "setup"}, headers=trader.headers
        )
        again = client.post("/v1/tags", json={"name": "opening DRIVE"}, headers=trader.headers)
        assert created.status_code == 201
        assert (again.status_code, again.json()["errors"][0]["location"]) == (409, "body.name")
        mine = client.get("/v1/tags", headers=trader.headers).json()["items"]
        theirs = client.get("/v1/tags", headers=other_trader.headers).json()["items"]
        assert {"name": "Opening drive", "kind": "setup"} in [
            {"name": t["name"], "kind": t["kind"]} for t in mine
        ]
        assert "Opening drive" not in [t["name"] for t in theirs]

    def test_a_tag_used_on_an_entry_becomes_a_custom_tag(
        self, client: TestClient, trader: Trader
    ) -> None:
        client.post(
            "/v1/journal/entries",
            json={"day": "2026-03-02", "body": "x", "tags": ["Lunch chop", "FOMO"]},
            headers=trader.headers,
        )
        items = client.get("/v1/tags", headers=trader.headers).json()["items"]
        assert [
            (t["name"], t["kind"]) for t in items if t["name"].lower() in {"lunch chop", "fomo"}
        ] == [
            ("Lunch chop", "custom"),
            ("fomo", "mistake"),
        ]

    def test_a_bad_kind_is_a_problem_naming_it(self, client: TestClient, trader: Trader) -> None:
        response = client.post(
            "/v1/tags", json={"name": "x", "kind": "mood"}, headers=trader.headers
        )
        assert (response.status_code, response.json()["errors"][0]["location"]) == (
            422,
            "body.kind",
        )
