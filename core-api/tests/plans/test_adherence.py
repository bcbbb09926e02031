"""Adherence statistics and the preview of a plan, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import uuid

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from core_api.plans.models import ViolationRecord
from tests.conftest import Trader
from tests.executions.test_endpoints import post_batch
from tests.plans.test_endpoints import MAX_ONE_TRADE, MONDAY, backdate_plan, put_plan, round_trip

DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)


class TestAdherence:
    def test_rates_pnl_without_violations_and_compliant_day_streaks(
        self, client: TestClient, workers: dict[str, str], trader: Trader, session: Session
    ) -> None:
        plan = put_plan(client, trader, [MAX_ONE_TRADE])
        backdate_plan(session, trader)
        fills = (
            round_trip("mon", MONDAY, 2)  # +20
            + round_trip("tue-1", MONDAY + DAY, 1)  # +10
            + round_trip("tue-2", MONDAY + DAY + HOUR, -4)  # -40, the second trade: flagged
            + round_trip("wed", MONDAY + 2 * DAY, 3)  # +30
            + round_trip("thu", MONDAY + 3 * DAY, -1)  # -10
        )
        post_batch(client, workers, trader, fills)
        response = client.get("/v1/plan/adherence", headers=trader.headers)
        assert response.status_code == 200, response.text
        report = response.json()
        assert report["adherence_rate"] == "0.8000"
        assert report["pnl"] == [
            {
                "currency": "USD",
                "net_pnl": "10",
                "net_pnl_without_violations": "50",
                "violating_positions": 1,
            }
        ]
        assert (report["current_streak_days"], report["longest_streak_days"]) == (2, 2)
        [rule] = report["rules"]
        assert rule == {
            "rule_id": plan["rules"][0]["id"],
            "kind": "max_trades_per_day",
            "name": "One trade a day",
            "evaluated": 5,
            "violated": 1,
            "adherence_rate": "0.8000",
            "costs": [{"amount": "-40", "currency": "USD"}],
        }
        wednesday_on = client.get(
            "/v1/plan/adherence", params={"start": "2026-03-04"}, headers=trader.headers
        ).json()
        assert wednesday_on["adherence_rate"] == "1.0000"
        assert wednesday_on["period_start"] == "2026-03-04"

    def test_a_trading_days_target_is_not_a_check(
        self, client: TestClient, workers: dict[str, str], trader: Trader, session: Session
    ) -> None:
        days = {"name": "Days", "params": {"kind": "min_trading_days", "count": 5}}
        put_plan(client, trader, [MAX_ONE_TRADE, days])
        backdate_plan(session, trader)
        fills = round_trip("one", MONDAY, 1) + round_trip("two", MONDAY + HOUR, 1)
        post_batch(client, workers, trader, fills)
        report = client.get("/v1/plan/adherence", headers=trader.headers).json()
        assert [rule["kind"] for rule in report["rules"]] == ["max_trades_per_day"]
        assert report["adherence_rate"] == "0.5000"

    def test_a_trader_without_a_plan_has_nothing_judged(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        post_batch(client, workers, trader, round_trip("a", MONDAY, 1))
        report = client.get("/v1/plan/adherence", headers=trader.headers).json()
        assert report["adherence_rate"] is None
        assert report["rules"] == []

    def test_a_period_that_ends_before_it_starts_is_a_422(
        self, client: TestClient, trader: Trader
    ) -> None:
        response = client.get(
            "/v1/plan/adherence",
            params={"start": "2026-03-05", "end": "2026-03-04"},
            headers=trader.headers,
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["location"] == "query.start"


class TestForTheCoach:
    def test_a_service_reads_the_traders_adherence_and_violations_by_user_id(
        self, client: TestClient, workers: dict[str, str], trader: Trader, session: Session
    ) -> None:
        put_plan(client, trader, [MAX_ONE_TRADE])
        backdate_plan(session, trader)
        fills = round_trip("one", MONDAY, 1) + round_trip("two", MONDAY + HOUR, -2)
        post_batch(client, workers, trader, fills)
        base = f"/internal/users/{trader.id}"

        week = client.get(
            f"{base}/plan/adherence",
            params={"start": "2026-03-02", "end": "2026-03-08"},
            headers=workers,
        )
        violations = client.get(f"{base}/violations", params={"limit": 1}, headers=workers)

        assert week.status_code == 200, week.text
        own = client.get(
            "/v1/plan/adherence",
            params={"start": "2026-03-02", "end": "2026-03-08"},
            headers=trader.headers,
        )
        assert week.json() == own.json()
        assert week.json()["rules"][0]["violated"] == 1
        assert violations.status_code == 200, violations.text
        [violation] = violations.json()["items"]
        assert violation["rule_kind"] == "max_trades_per_day"
        assert violations.json()["next_cursor"] is None

    def test_the_traders_own_token_does_not_open_them(
        self, client: TestClient, trader: Trader
    ) -> None:
        for path in ("plan/adherence", "violations"):
            response = client.get(f"/internal/users/{trader.id}/{path}", headers=trader.headers)
            assert response.status_code in (401, 403), path


class TestPositionsByRule:
    def test_the_trades_list_keeps_the_positions_that_broke_a_rule(
        self, client: TestClient, workers: dict[str, str], trader: Trader, session: Session
    ) -> None:
        plan = put_plan(client, trader, [MAX_ONE_TRADE])
        backdate_plan(session, trader)
        fills = round_trip("kept", MONDAY, 1) + round_trip("broke", MONDAY + HOUR, -2)
        post_batch(client, workers, trader, fills)
        rule_id = plan["rules"][0]["id"]

        broke = client.get("/v1/positions", params={"rule_id": rule_id}, headers=trader.headers)
        other = client.get(
            "/v1/positions", params={"rule_id": str(uuid.uuid4())}, headers=trader.headers
        )
        every = client.get("/v1/positions", headers=trader.headers)

        assert broke.status_code == 200, broke.text
        [position] = broke.json()["items"]
        [violation] = client.get(
            "/v1/violations", params={"rule_id": rule_id}, headers=trader.headers
        ).json()["items"]
        assert position["id"] == violation["position_id"]
        assert other.json()["items"] == []
        assert len(every.json()["items"]) == 2


class TestPreview:
    def test_a_preview_counts_what_the_plan_would_have_flagged_and_stores_nothing(
        self, client: TestClient, workers: dict[str, str], trader: Trader, session: Session
    ) -> None:
        fills = (
            round_trip("a", MONDAY, 1)
            + round_trip("b", MONDAY + HOUR, -2)
            + round_trip("c", MONDAY + 2 * HOUR, -3)
        )
        post_batch(client, workers, trader, fills)
        size = {"name": "Size", "params": {"kind": "max_position_size", "quantity": "100"}}
        response = client.post(
            "/v1/plan/preview", json={"rules": [MAX_ONE_TRADE, size]}, headers=trader.headers
        )
        assert response.status_code == 200, response.text
        preview = response.json()
        assert {key: preview[key] for key in ("positions_evaluated", "positions_flagged")} == {
            "positions_evaluated": 3,
            "positions_flagged": 2,
        }
        assert (preview["days_flagged"], preview["violations"]) == (1, 2)
        assert preview["costs"] == [{"amount": "-50", "currency": "USD"}]
        assert preview["rules"][0] == {
            "rule_index": 0,
            "name": "One trade a day",
            "kind": "max_trades_per_day",
            "positions_flagged": 2,
            "days_flagged": 1,
            "violations": 2,
            "costs": [{"amount": "-50", "currency": "USD"}],
        }
        assert preview["rules"][1]["violations"] == 0
        stored = session.scalars(
            select(ViolationRecord).where(ViolationRecord.user_id == trader.id)
        )
        assert stored.all() == []
        assert client.get("/v1/plan", headers=trader.headers).status_code == 404
