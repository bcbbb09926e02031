"""Plans and violations through the API, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from core_api.plans.models import PlanVersionRecord
from tests.conftest import Trader, assert_valid_event, events_of, execution
from tests.executions.test_endpoints import post_batch

MONDAY = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)  # 10:00 in New York


def put_plan(client: TestClient, trader: Trader, rules: list[dict[str, Any]]) -> dict[str, Any]:
    response = client.put("/v1/plan", json={"rules": rules}, headers=trader.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def backdate_plan(session: Session, trader: Trader) -> None:
    """Puts the trader's plan versions in force long before the trades the test imports."""
    for record in session.scalars(
        select(PlanVersionRecord).where(PlanVersionRecord.user_id == trader.id)
    ):
        record.effective_from = dt.datetime(2000, 1, record.version, tzinfo=dt.UTC)
    session.flush()


def round_trip(
    name: str, at: dt.datetime, pnl_per_share: int, quantity: str = "10"
) -> list[dict[str, Any]]:
    return [
        execution(f"{name}-in", "buy", quantity, "100", at.isoformat()),
        execution(
            f"{name}-out",
            "sell",
            quantity,
            str(100 + pnl_per_share),
            (at + dt.timedelta(minutes=5)).isoformat(),
        ),
    ]


MAX_ONE_TRADE = {"name": "One trade a day", "params": {"kind": "max_trades_per_day", "count": 1}}


class TestPlanVersions:
    def test_each_change_is_a_new_version_and_rules_keep_their_ids_by_name(
        self, client: TestClient, trader: Trader
    ) -> None:
        first = put_plan(client, trader, [MAX_ONE_TRADE])
        assert first["version"] == 1
        assert first["rules"][0]["kind"] == "max_trades_per_day"
        size = {"name": "Size", "params": {"kind": "max_position_size", "quantity": "500"}}
        second = put_plan(client, trader, [MAX_ONE_TRADE, size])
        assert second["version"] == 2
        assert second["id"] == first["id"]
        assert second["rules"][0]["id"] == first["rules"][0]["id"]
        assert second["effective_from"] > first["effective_from"]
        # Answered before the judging; judged by the time of the next request.
        assert (second["evaluation"], second["judged_version"]) == ("pending", 1)
        now = client.get("/v1/plan", headers=trader.headers).json()
        assert now == {**second, "evaluation": "judged", "judged_version": 2}
        earlier = client.get("/v1/plan/versions/1", headers=trader.headers)
        assert earlier.json() == {**first, "evaluation": "judged", "judged_version": 2}

    def test_the_history_lists_every_version_newest_first_with_its_end(
        self, client: TestClient, trader: Trader
    ) -> None:
        first = put_plan(client, trader, [MAX_ONE_TRADE])
        second = put_plan(client, trader, [])
        history = client.get("/v1/plan/versions", headers=trader.headers).json()["items"]
        assert [item["version"] for item in history] == [2, 1]
        assert history[0]["effective_until"] is None
        assert history[1]["effective_until"] == second["effective_from"]
        assert history[1]["rules"] == first["rules"]

    def test_a_trader_without_a_plan_gets_404(self, client: TestClient, trader: Trader) -> None:
        assert client.get("/v1/plan", headers=trader.headers).status_code == 404
        assert client.get("/v1/plan/versions/1", headers=trader.headers).status_code == 404

    def test_a_new_version_is_announced(
        self, client: TestClient, trader: Trader, session: Session
    ) -> None:
        plan = put_plan(client, trader, [MAX_ONE_TRADE])
        # Once when it is in force, once when the past trades are judged by it.
        in_force, judged = events_of(session, trader.id, "plan.updated.v1")
        for event in (in_force, judged):
            assert_valid_event(event)
            assert event["data"]["plan_id"] == plan["id"]
            assert event["data"]["version"] == 1


# Each bad rule with where its 422 problem points (after `body.rules.<i>.params`) and what it says.
BADLY_SHAPED = [
    ({"kind": "max_trades_per_day", "count": 1, "extra": 1}, ".max_trades_per_day.extra", "Extra"),
    ({"kind": "max_trades_per_day", "count": "many"}, ".max_trades_per_day.count", "integer"),
    ({"kind": "no_such_rule"}, "", "kind"),
]
UNUSABLE = [
    (
        {"kind": "trading_window", "weekdays": ["mon"], "start": "10:00:00", "end": "10:00:00"},
        ".end",
        "window is empty",
    ),
    ({"kind": "trading_window", "weekdays": ["mon"], "start": "10:00:00"}, ".end", "needs both"),
    (
        {"kind": "trading_window", "weekdays": ["mon"], "skip_first_minutes": 15},
        ".exchange",
        "needs an exchange",
    ),
    (
        {"kind": "trading_window", "weekdays": ["mon"], "exchange": "NOPE"},
        ".exchange",
        "unknown exchange",
    ),
    ({"kind": "trading_window", "weekdays": ["mon", "mon"]}, ".weekdays", "twice"),
    (
        {"kind": "max_daily_loss", "amount": "50", "r_multiple": "2"},
        ".r_multiple",
        "exactly one of amount, percent_of_account and r_multiple",
    ),
    ({"kind": "max_position_size"}, ".quantity", "quantity or notional"),
    (
        {"kind": "custom", "expression": "position.qty > 1"},
        ".expression",
        "line 1, column 10: position has no field qty",
    ),
]


class TestBadPlans:
    @pytest.mark.parametrize("cases", [BADLY_SHAPED, UNUSABLE], ids=["badly shaped", "unusable"])
    def test_each_rule_that_cannot_be_used_is_named_in_a_422(
        self, client: TestClient, trader: Trader, cases: list[tuple[dict[str, Any], str, str]]
    ) -> None:
        rules = [{"name": f"r{index}", "params": rule} for index, (rule, _, _) in enumerate(cases)]
        response = client.put("/v1/plan", json={"rules": rules}, headers=trader.headers)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        errors = response.json()["errors"]
        for index, (_, where, message) in enumerate(cases):
            location = f"body.rules.{index}.params{where}"
            assert any(e["location"] == location and message in e["message"] for e in errors), (
                location,
                errors,
            )
        assert client.get("/v1/plan", headers=trader.headers).status_code == 404

    def test_an_expression_that_does_not_compile_is_described_as_a_custom_rule_check(
        self, client: TestClient, trader: Trader
    ) -> None:
        rules = [
            MAX_ONE_TRADE,
            {"name": "c", "params": {"kind": "custom", "expression": "position.quantity >"}},
        ]
        for path, send in (("/v1/plan", client.put), ("/v1/plan/preview", client.post)):
            response = send(path, json={"rules": rules}, headers=trader.headers)
            assert response.status_code == 422
            problem = response.json()
            assert {
                key: problem[key] for key in ("rule_index", "expression", "line", "column")
            } == {
                "rule_index": 1,
                "expression": "position.quantity >",
                "line": 1,
                "column": 19,
            }
            assert problem["errors"][0]["location"] == "body.rules.1.params.expression"

    @pytest.mark.usefixtures("slow_clock")
    def test_a_rule_too_slow_to_evaluate_is_refused_by_name_and_column(
        self, client: TestClient, trader: Trader
    ) -> None:
        slow = {"name": "Slow", "params": {"kind": "custom", "expression": "day.trades_before < 3"}}
        response = client.put(
            "/v1/plan", json={"rules": [MAX_ONE_TRADE, slow]}, headers=trader.headers
        )
        assert response.status_code == 422
        problem = response.json()
        assert (problem["rule_index"], problem["line"], problem["column"]) == (1, 1, 1)
        assert problem["errors"] == [
            {
                "location": "body.rules.1.params.expression",
                "message": "line 1, column 1: takes longer than 500 ms to evaluate",
            }
        ]
        assert client.get("/v1/plan", headers=trader.headers).status_code == 404

    def test_two_rules_of_one_name_are_refused(self, client: TestClient, trader: Trader) -> None:
        response = client.put(
            "/v1/plan", json={"rules": [MAX_ONE_TRADE, MAX_ONE_TRADE]}, headers=trader.headers
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["location"] == "body.rules.1.name"


class TestEvaluationOnPlanChange:
    def test_a_plan_change_announces_itself_not_each_violation_it_finds(
        self,
        client: TestClient,
        workers: dict[str, str],
        trader: Trader,
        session: Session,
    ) -> None:
        put_plan(client, trader, [MAX_ONE_TRADE])
        fills = round_trip("a", MONDAY, 2) + round_trip("b", MONDAY + dt.timedelta(hours=1), -3)
        post_batch(client, workers, trader, fills)
        assert client.get("/v1/violations", headers=trader.headers).json()["items"] == []
        # In force before the trades, the plan's next change re-judges them and flags one.
        backdate_plan(session, trader)
        put_plan(client, trader, [MAX_ONE_TRADE])
        [violation] = client.get("/v1/violations", headers=trader.headers).json()["items"]
        assert (violation["plan_version"], violation["day"]) == (1, "2026-03-02")
        assert [
            event["data"]["version"] for event in events_of(session, trader.id, "plan.updated.v1")
        ] == [1, 1, 2, 2]
        assert events_of(session, trader.id, "rule.violated.v2") == []
        # Imports still announce each violation they find.
        tuesday = MONDAY + dt.timedelta(days=1)
        post_batch(
            client,
            workers,
            trader,
            round_trip("c", tuesday, 1) + round_trip("d", tuesday + dt.timedelta(hours=1), 1),
        )
        [event] = events_of(session, trader.id, "rule.violated.v2")
        assert event["data"]["day"] == "2026-03-03"


class TestEvaluationOnImport:
    def test_an_import_records_violations_and_announces_each_once(
        self,
        client: TestClient,
        workers: dict[str, str],
        trader: Trader,
        session: Session,
    ) -> None:
        plan = put_plan(client, trader, [MAX_ONE_TRADE])
        backdate_plan(session, trader)
        fills = round_trip("a", MONDAY, 2) + round_trip("b", MONDAY + dt.timedelta(hours=1), -3)
        post_batch(client, workers, trader, fills)
        page = client.get("/v1/violations", headers=trader.headers).json()
        [violation] = page["items"]
        assert violation["rule_id"] == plan["rules"][0]["id"]
        assert violation["plan_version"] == 1
        assert violation["day"] == "2026-03-02"
        assert (violation["observed"], violation["allowed"]) == ("trade 2 of the day", "1 per day")
        assert (violation["cost"], violation["currency"]) == ("-30", "USD")
        one = client.get(f"/v1/violations/{violation['id']}", headers=trader.headers)
        assert one.json() == violation
        assert client.get(
            "/v1/violations",
            params={"position_id": violation["position_id"]},
            headers=trader.headers,
        ).json()["items"] == [violation]
        [event] = events_of(session, trader.id, "rule.violated.v2")
        assert_valid_event(event)
        assert event["data"]["violation_id"] == violation["id"]
        # A later import on another day keeps the violation and announces nothing again.
        post_batch(client, workers, trader, round_trip("c", MONDAY + dt.timedelta(days=1), 1))
        assert client.get("/v1/violations", headers=trader.headers).json()["items"] == [violation]
        assert len(events_of(session, trader.id, "rule.violated.v2")) == 1

    def test_a_broken_rule_never_stops_an_import(
        self,
        client: TestClient,
        workers: dict[str, str],
        trader: Trader,
        session: Session,
    ) -> None:
        failing = {
            "name": "Divides",
            "params": {"kind": "custom", "expression": "10 / day.trades_before > 0"},
        }
        put_plan(client, trader, [failing, MAX_ONE_TRADE])
        backdate_plan(session, trader)
        fills = round_trip("a", MONDAY, 2) + round_trip("b", MONDAY + dt.timedelta(hours=1), 1)
        assert post_batch(client, workers, trader, fills)["inserted"] == 4
        kinds = [
            v["rule_kind"]
            for v in client.get("/v1/violations", headers=trader.headers).json()["items"]
        ]
        assert kinds == ["max_trades_per_day"]
        version = session.scalars(
            select(PlanVersionRecord).where(PlanVersionRecord.user_id == trader.id)
        ).one()
        assert "divide by zero" in next(iter(version.faults.values()))

    def test_another_traders_ids_answer_404(
        self,
        client: TestClient,
        workers: dict[str, str],
        trader: Trader,
        other_trader: Trader,
        session: Session,
    ) -> None:
        put_plan(client, trader, [MAX_ONE_TRADE])
        backdate_plan(session, trader)
        post_batch(
            client,
            workers,
            trader,
            round_trip("a", MONDAY, 1) + round_trip("b", MONDAY + dt.timedelta(hours=1), 1),
        )
        [violation] = client.get("/v1/violations", headers=trader.headers).json()["items"]
        theirs = other_trader.headers
        assert client.get(f"/v1/violations/{violation['id']}", headers=theirs).status_code == 404
        assert client.get("/v1/violations", headers=theirs).json()["items"] == []
        assert client.get("/v1/plan", headers=theirs).status_code == 404
        assert client.get("/v1/plan/versions/1", headers=theirs).status_code == 404
        assert (
            client.get(f"/v1/violations/{uuid.uuid4()}", headers=trader.headers).status_code == 404
        )
