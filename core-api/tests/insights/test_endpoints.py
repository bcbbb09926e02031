from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.conftest import Trader, assert_valid_event, events_of, service_headers

INSIGHT = {
    "kind": "revenge_trading",
    "title": "Trades right after a loss lose more",
    "body": "Your next trade within 10 minutes of a loss averaged -42.10.",
    "evidence": {"metrics": {"mean_net": "-42.10"}, "sample_size": 14},
    "confidence": "p=0.03",
    "cost": "589.40",
    "currency": "USD",
}


class TestInsights:
    def test_the_coach_stores_an_insight_the_trader_then_lists(
        self, client: TestClient, trader: Trader, session: Session
    ) -> None:
        coach = service_headers(client, "ai-coach")
        response = client.post(f"/internal/users/{trader.id}/insights", json=INSIGHT, headers=coach)
        assert response.status_code == 201
        listed = client.get("/v1/insights", headers=trader.headers).json()["items"]
        assert [(i["kind"], i["cost"]) for i in listed] == [("revenge_trading", "589.4")]
        [event] = events_of(session, trader.id, "coach.insight_created.v1")
        assert_valid_event(event)

    def test_an_insight_for_an_unknown_trader_is_not_found(self, client: TestClient) -> None:
        coach = service_headers(client, "ai-coach")
        response = client.post(
            f"/internal/users/{uuid.uuid4()}/insights", json=INSIGHT, headers=coach
        )
        assert response.status_code == 404

    def test_the_coach_reads_a_trader_s_insights_to_skip_repeats(
        self, client: TestClient, trader: Trader, other_trader: Trader
    ) -> None:
        coach = service_headers(client, "ai-coach")
        client.post(f"/internal/users/{trader.id}/insights", json=INSIGHT, headers=coach)
        mine = client.get(f"/internal/users/{trader.id}/insights", headers=coach).json()
        theirs = client.get(f"/internal/users/{other_trader.id}/insights", headers=coach).json()
        assert [i["kind"] for i in mine["items"]] == ["revenge_trading"]
        assert theirs["items"] == []

    def test_reading_insights_internally_needs_a_service_token(
        self, client: TestClient, trader: Trader
    ) -> None:
        response = client.get(f"/internal/users/{trader.id}/insights", headers=trader.headers)
        assert response.status_code == 401
