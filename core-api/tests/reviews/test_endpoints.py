from __future__ import annotations

import copy
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.conftest import Trader, assert_valid_event, events_of, service_headers

REPORT: dict[str, Any] = {
    "week_start": "2026-11-16",
    "week_end": "2026-11-22",
    "time_zone": "America/New_York",
    "currencies": [
        {
            "currency": "USD",
            "week": {
                "trades": "11",
                "net_pnl": "640.00",
                "win_rate": "0.5455",
                "expectancy": "58.18",
            },
            "baseline": {
                "trades": "17.5",
                "net_pnl": "120.25",
                "win_rate": "0.48",
                "expectancy": "6.87",
            },
            "baseline_weeks_traded": 8,
        }
    ],
    "top_insights": [],
    "journal_themes": [],
    "plan_adherence": "no plan yet",
    "focus": {
        "rule": "Three trades a day",
        "reason": "Fewer trades, better week.",
        "source": "default",
    },
    "narrative": "A green week on fewer trades than usual.",
}


def review(week_start: str = "2026-11-16", **overrides: Any) -> dict[str, Any]:
    report = copy.deepcopy(REPORT)
    report["week_start"] = week_start
    return {
        "week_start": week_start,
        "summary": "A green week on fewer trades than usual.",
        "focus": "Three trades a day",
        "metrics": {"trades": "11", "net_pnl": "640.00"},
        "insight_ids": [],
        "report": report,
        **overrides,
    }


def store(client: TestClient, user_id: uuid.UUID, body: dict[str, Any]) -> Any:
    coach = service_headers(client, "ai-coach")
    return client.post(f"/internal/users/{user_id}/reviews", json=body, headers=coach)


class TestWeeklyReviews:
    def test_the_coach_stores_a_review_the_trader_then_reads(
        self, client: TestClient, trader: Trader, session: Session
    ) -> None:
        stored = store(client, trader.id, review())
        assert stored.status_code == 201, stored.text
        listed = client.get("/v1/reviews", headers=trader.headers).json()["items"]
        assert listed == [stored.json()]
        one = client.get(f"/v1/reviews/{stored.json()['id']}", headers=trader.headers).json()
        assert one["report"]["currencies"][0]["week"]["net_pnl"] == "640.00"
        assert one["metrics"] == {"trades": "11", "net_pnl": "640.00"}
        [event] = events_of(session, trader.id, "coach.review_ready.v1")
        assert_valid_event(event)
        assert event["data"]["review_id"] == one["id"]

    def test_the_same_review_twice_is_stored_and_announced_once(
        self, client: TestClient, trader: Trader, session: Session
    ) -> None:
        first = store(client, trader.id, review())
        again = store(client, trader.id, review())
        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json()["id"] == first.json()["id"]
        assert len(client.get("/v1/reviews", headers=trader.headers).json()["items"]) == 1
        assert len(events_of(session, trader.id, "coach.review_ready.v1")) == 1

    def test_a_recomputed_review_of_a_stored_week_replaces_it(
        self, client: TestClient, trader: Trader, session: Session
    ) -> None:
        first = store(client, trader.id, review()).json()
        second = store(client, trader.id, review(focus="Stop after two losses")).json()
        assert (second["id"], second["focus"]) == (first["id"], "Stop after two losses")
        assert len(events_of(session, trader.id, "coach.review_ready.v1")) == 2

    def test_reviews_are_listed_newest_week_first(self, client: TestClient, trader: Trader) -> None:
        for week in ("2026-11-02", "2026-11-16", "2026-11-09"):
            store(client, trader.id, review(week))
        listed = client.get("/v1/reviews", headers=trader.headers).json()["items"]
        assert [item["week_start"] for item in listed] == ["2026-11-16", "2026-11-09", "2026-11-02"]

    def test_another_trader_s_review_is_not_found(
        self, client: TestClient, trader: Trader, other_trader: Trader
    ) -> None:
        review_id = store(client, trader.id, review()).json()["id"]
        response = client.get(f"/v1/reviews/{review_id}", headers=other_trader.headers)
        assert response.status_code == 404
        assert client.get("/v1/reviews", headers=other_trader.headers).json() == {"items": []}

    def test_a_review_for_an_unknown_trader_is_not_found(self, client: TestClient) -> None:
        assert store(client, uuid.uuid4(), review()).status_code == 404

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            (review(focus="x" * 1001), "body.focus"),
            (review(report=None), "body.report"),
            (review(week_start="not a day"), "body.week_start"),
        ],
    )
    def test_a_bad_review_is_refused_naming_the_field(
        self, client: TestClient, trader: Trader, body: dict[str, Any], field: str
    ) -> None:
        response = store(client, trader.id, body)
        assert response.status_code == 422
        assert field in [error["location"] for error in response.json()["errors"]]

    def test_storing_needs_a_service_token(self, client: TestClient, trader: Trader) -> None:
        response = client.post(
            f"/internal/users/{trader.id}/reviews", json=review(), headers=trader.headers
        )
        assert response.status_code == 401
