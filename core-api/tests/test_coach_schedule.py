from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Trader, execution, make_trader, service_headers
from tests.executions.test_endpoints import post_batch
from tests.reviews.test_endpoints import review, store

DUE = "/internal/v1/users/weekly-review-due"


def round_trip(closed_at: str, broker_id: str) -> list[dict[str, Any]]:
    """A long position opened an hour before `closed_at` and closed then."""
    opened_at = closed_at.replace("T23:30", "T22:30").replace("T00:30", "T00:00")
    return [
        execution(f"{broker_id}-in", "buy", "10", "100", opened_at),
        execution(f"{broker_id}-out", "sell", "10", "101", closed_at),
    ]


def trader_in(client: TestClient, zone: str) -> Trader:
    trader = make_trader(client)
    answer = client.patch("/v1/me", json={"time_zone": zone}, headers=trader.headers)
    assert answer.status_code == 200, answer.text
    return trader


def due_ids(client: TestClient, week_start: str, query: str = "") -> list[uuid.UUID]:
    answer = client.get(f"{DUE}?week_start={week_start}{query}", headers=service_headers(client))
    assert answer.status_code == 200, answer.text
    return [uuid.UUID(item["user_id"]) for item in answer.json()["items"]]


class TestWeeklyReviewDue:
    def test_a_week_is_read_in_each_trader_s_own_time_zone(
        self, client: TestClient, workers: dict[str, str]
    ) -> None:
        # Both close at 15:30 UTC on Sunday 22 November and 04:30 UTC on Monday 23.
        new_york = trader_in(client, "America/New_York")
        tokyo = trader_in(client, "Asia/Tokyo")
        post_batch(client, workers, new_york, round_trip("2026-11-22T23:30:00-05:00", "ny"))
        post_batch(client, workers, tokyo, round_trip("2026-11-23T00:30:00+09:00", "tk"))

        assert due_ids(client, "2026-11-16") == [new_york.id]
        assert due_ids(client, "2026-11-23") == [tokyo.id]
        assert due_ids(client, "2026-11-09") == []

    def test_a_trader_whose_week_is_reviewed_or_who_only_opened_is_not_due(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        reviewed = make_trader(client)
        post_batch(client, workers, reviewed, round_trip("2026-11-18T23:30:00-05:00", "r"))
        post_batch(client, workers, trader, round_trip("2026-11-18T23:30:00-05:00", "t")[:1])
        assert due_ids(client, "2026-11-16") == [reviewed.id]

        assert store(client, reviewed.id, review("2026-11-16")).status_code == 201

        assert due_ids(client, "2026-11-16") == []

    def test_pages_follow_the_cursor_in_user_id_order(
        self, client: TestClient, workers: dict[str, str]
    ) -> None:
        traders = [make_trader(client) for _ in range(3)]
        for number, trader in enumerate(traders):
            post_batch(
                client, workers, trader, round_trip("2026-11-19T23:30:00-05:00", str(number))
            )
        headers = service_headers(client)

        first = client.get(f"{DUE}?week_start=2026-11-16&limit=2", headers=headers).json()
        second = due_ids(client, "2026-11-16", f"&limit=2&cursor={first['next_cursor']}")

        ids = [uuid.UUID(item["user_id"]) for item in first["items"]] + second
        assert ids == sorted(trader.id for trader in traders)
        assert first["items"][0]["time_zone"] == "UTC"  # a new trader's zone
        assert first["week_start"] == "2026-11-16"

    def test_bad_queries_are_problems_naming_the_parameter(self, client: TestClient) -> None:
        headers = service_headers(client)

        tuesday = client.get(f"{DUE}?week_start=2026-11-17", headers=headers)
        cursor = client.get(f"{DUE}?week_start=2026-11-16&cursor=nope", headers=headers)

        assert tuesday.status_code == 422
        assert [e["location"] for e in tuesday.json()["errors"]] == ["query.week_start"]
        assert cursor.status_code == 400
        assert [e["location"] for e in cursor.json()["errors"]] == ["query.cursor"]

    def test_only_a_service_may_ask(self, client: TestClient, trader: Trader) -> None:
        answer = client.get(f"{DUE}?week_start=2026-11-16", headers=trader.headers)
        assert answer.status_code in (401, 403)
        assert client.get(f"{DUE}?week_start=2026-11-16").status_code == 401
