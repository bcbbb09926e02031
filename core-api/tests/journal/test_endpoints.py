from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.conftest import Trader, assert_valid_event, events_of, execution
from tests.executions.test_endpoints import post_batch


class TestJournal:
    def test_an_entry_about_a_day_is_saved_raw_and_announced(
        self, client: TestClient, trader: Trader, session: Session
    ) -> None:
        body = "# Monday\n\n<script>alert(1)</script> *stayed patient*"
        response = client.post(
            "/v1/journal/entries",
            json={"day": "2026-03-02", "body": body, "mood": 4, "tags": ["FOMO", "fomo", " "]},
            headers=trader.headers,
        )
        assert response.status_code == 201
        entry = response.json()
        assert entry["body"] == body
        assert entry["tags"] == ["FOMO"]
        [event] = events_of(session, trader.id, "journal.entry_saved.v1")
        assert event["data"]["entry_id"] == entry["id"]
        assert_valid_event(event)

    def test_an_entry_about_a_position_is_listed_under_it(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        post_batch(
            client, workers, trader, [execution("b", "buy", "1", "10", "2026-03-02T15:00:00Z")]
        )
        [position] = client.get("/v1/positions", headers=trader.headers).json()["items"]
        client.post(
            "/v1/journal/entries",
            json={"position_id": position["id"], "body": "entered early"},
            headers=trader.headers,
        )
        client.post(
            "/v1/journal/entries", json={"day": "2026-03-02", "body": "day"}, headers=trader.headers
        )
        listed = client.get(
            f"/v1/journal/entries?position_id={position['id']}", headers=trader.headers
        ).json()
        assert [entry["body"] for entry in listed["items"]] == ["entered early"]
        by_day = client.get("/v1/journal/entries?day=2026-03-02", headers=trader.headers).json()
        assert [entry["body"] for entry in by_day["items"]] == ["day"]

    def test_an_entry_about_nothing_is_refused(self, client: TestClient, trader: Trader) -> None:
        response = client.post("/v1/journal/entries", json={"body": "hm"}, headers=trader.headers)
        assert response.status_code == 422

    def test_an_entry_about_an_unknown_position_is_not_found(
        self, client: TestClient, trader: Trader
    ) -> None:
        response = client.post(
            "/v1/journal/entries",
            json={"position_id": str(uuid.uuid4()), "body": "x"},
            headers=trader.headers,
        )
        assert response.status_code == 404

    def test_the_coach_reads_a_trader_s_entries(
        self, client: TestClient, workers: dict[str, str], trader: Trader, other_trader: Trader
    ) -> None:
        client.post(
            "/v1/journal/entries", json={"day": "2026-03-02", "body": "a"}, headers=trader.headers
        )
        mine = client.get(f"/internal/users/{trader.id}/journal/entries", headers=workers)
        theirs = client.get(f"/internal/users/{other_trader.id}/journal/entries", headers=workers)
        assert len(mine.json()["items"]) == 1
        assert theirs.json()["items"] == []


class TestChangingAnEntry:
    def test_only_the_fields_sent_change_and_the_change_is_announced(
        self, client: TestClient, trader: Trader, session: Session
    ) -> None:
        entry = client.post(
            "/v1/journal/entries",
            json={"day": "2026-03-02", "body": "first draft", "mood": 2, "tags": ["fomo"]},
            headers=trader.headers,
        ).json()

        response = client.patch(
            f"/v1/journal/entries/{entry['id']}",
            json={"body": "second draft", "tags": ["patience"]},
            headers=trader.headers,
        )

        assert response.status_code == 200
        changed = response.json()
        assert (changed["body"], changed["mood"], changed["tags"]) == (
            "second draft",
            2,
            ["patience"],
        )
        assert changed["created_at"] == entry["created_at"]
        by_tag = client.get("/v1/journal/entries?tag=fomo", headers=trader.headers).json()
        assert by_tag["items"] == []
        events = events_of(session, trader.id, "journal.entry_saved.v1")
        assert [e["data"]["entry_id"] for e in events] == [entry["id"], entry["id"]]

    def test_a_mood_can_be_cleared(self, client: TestClient, trader: Trader) -> None:
        entry = client.post(
            "/v1/journal/entries",
            json={"day": "2026-03-02", "body": "x", "mood": 5},
            headers=trader.headers,
        ).json()
        response = client.patch(
            f"/v1/journal/entries/{entry['id']}", json={"mood": None}, headers=trader.headers
        )
        assert response.json()["mood"] is None

    def test_an_unknown_entry_is_not_found(self, client: TestClient, trader: Trader) -> None:
        response = client.patch(
            f"/v1/journal/entries/{uuid.uuid4()}", json={"body": "x"}, headers=trader.headers
        )
        assert response.status_code == 404


class TestJournalSearch:
    def write(self, client: TestClient, trader: Trader, body: str, tags: list[str]) -> None:
        response = client.post(
            "/v1/journal/entries",
            json={"day": "2026-03-02", "body": body, "tags": tags},
            headers=trader.headers,
        )
        assert response.status_code == 201

    def test_text_search_finds_words_in_any_case(self, client: TestClient, trader: Trader) -> None:
        self.write(client, trader, "Chased the **open** again", ["FOMO"])
        self.write(client, trader, "Patient all day", [])
        found = client.get("/v1/journal/entries?q=chased", headers=trader.headers).json()
        assert [e["body"] for e in found["items"]] == ["Chased the **open** again"]

    def test_percent_and_underscore_are_searched_literally(
        self, client: TestClient, trader: Trader
    ) -> None:
        self.write(client, trader, "Lost 2% on size_up", [])
        self.write(client, trader, "Lost 20 on sizeXup", [])
        found = client.get("/v1/journal/entries?q=2%25", headers=trader.headers).json()
        under = client.get("/v1/journal/entries?q=size_up", headers=trader.headers).json()
        assert [e["body"] for e in found["items"]] == ["Lost 2% on size_up"]
        assert [e["body"] for e in under["items"]] == ["Lost 2% on size_up"]

    def test_tag_search_ignores_case_and_combines_with_text(
        self, client: TestClient, trader: Trader, other_trader: Trader
    ) -> None:
        self.write(client, trader, "Chased again", ["FOMO"])
        self.write(client, trader, "Chased, but planned", ["breakout"])
        self.write(client, other_trader, "Chased too", ["fomo"])
        found = client.get("/v1/journal/entries?q=chased&tag=fomo", headers=trader.headers).json()
        assert [e["body"] for e in found["items"]] == ["Chased again"]
