"""Presets, limit distances and the prop-firm kinds through the API, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from core_api.plans import endpoints
from tests.conftest import Trader, assert_valid_event, events_of, execution
from tests.executions.test_endpoints import post_batch
from tests.plans.test_endpoints import MONDAY, backdate_plan, put_plan, round_trip

TUESDAY = MONDAY + dt.timedelta(days=1)
NOW = TUESDAY + dt.timedelta(hours=2)  # 12:00 in New York
MINUTE = dt.timedelta(minutes=1)

ES = {"asset_class": "future", "symbol": "ESH6", "root": "ES", "expiry": "2026-03-20"}
NQ = {"asset_class": "future", "symbol": "NQH6", "root": "NQ", "expiry": "2026-03-20"}

LIMITS = [
    {"name": "Daily loss", "params": {"kind": "max_daily_loss", "amount": "100"}},
    {"name": "Trades", "params": {"kind": "max_trades_per_day", "count": 3}},
    {"name": "Streak", "params": {"kind": "max_consecutive_losses", "count": 2}},
    {"name": "Drawdown", "params": {"kind": "trailing_drawdown", "amount": "200"}},
    {"name": "Consistency", "params": {"kind": "consistency", "max_day_share_percent": "50"}},
    {"name": "Days", "params": {"kind": "min_trading_days", "count": 3}},
    {"name": "Contracts", "params": {"kind": "max_open_contracts", "count": "5"}},
    {"name": "Size", "params": {"kind": "max_position_size", "quantity": "500"}},
]


@pytest.fixture
def at_noon(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(endpoints, "utcnow", lambda: NOW)


def fill(name: str, side: str, quantity: str, price: str, at: dt.datetime, **extra: Any) -> Any:
    return execution(name, side, quantity, price, at.isoformat(), **extra)


class TestPresets:
    def test_every_preset_saves_as_a_plan(self, client: TestClient, trader: Trader) -> None:
        response = client.get("/v1/plan/presets", headers=trader.headers)
        assert response.status_code == 200
        presets = response.json()["items"]
        assert len({preset["id"] for preset in presets}) == len(presets) >= 4
        for preset in presets:
            saved = put_plan(client, trader, preset["rules"])
            assert [rule["name"] for rule in saved["rules"]] == [
                rule["name"] for rule in preset["rules"]
            ]

    def test_presets_need_a_signed_in_trader(self, client: TestClient) -> None:
        assert client.get("/v1/plan/presets").status_code == 401


@pytest.mark.usefixtures("at_noon")
class TestLimits:
    def test_there_are_no_limits_before_a_plan(self, client: TestClient, trader: Trader) -> None:
        response = client.get("/v1/plan/limits", headers=trader.headers)
        assert response.status_code == 404

    def test_each_limit_shows_its_distance_on_the_current_trading_day(
        self,
        client: TestClient,
        session: Session,
        workers: dict[str, str],
        trader: Trader,
    ) -> None:
        put_plan(client, trader, LIMITS)
        backdate_plan(session, trader)
        fills = [
            *round_trip("mon", MONDAY, 10),  # +100 on Monday
            *round_trip("loss-1", TUESDAY, -3),  # −30
            *round_trip("loss-2", TUESDAY + 10 * MINUTE, -2),  # −20
            fill("open", "buy", "4", "100", TUESDAY + 20 * MINUTE),
        ]
        post_batch(client, workers, trader, fills)
        response = client.get("/v1/plan/limits", headers=trader.headers)
        assert response.status_code == 200
        body = response.json()
        assert body["as_of"] == NOW.isoformat().replace("+00:00", "Z")
        figures = {
            item["name"]: (
                item["unit"],
                item["limit"],
                item["current"],
                item["remaining"],
                item["breached"],
            )
            for item in body["items"]
        }
        assert figures == {
            "Daily loss": ("currency", "100", "50", "50", False),
            "Trades": ("trades", "3", "3", "0", False),
            "Streak": ("losses", "2", "2", "0", False),
            # Monday's end raised the mark to 100 (floor −100); equity is 50 now.
            "Drawdown": ("currency", "200", "50", "150", False),
            # Monday's 100 is 200% of the period's 50.
            "Consistency": ("percent", "50", "200.00", "-150.00", True),
            "Days": ("days", "3", "2", "1", False),
            "Contracts": ("contracts", "5", "4", "1", False),
        }
        assert {item["account_id"] for item in body["items"]} == {str(trader.account_id)}
        daily = next(item for item in body["items"] if item["kind"] == "max_daily_loss")
        assert daily["currency"] == "USD"


class TestPropFirmViolations:
    def test_an_import_that_breaks_the_trailing_drawdown_announces_it(
        self,
        client: TestClient,
        session: Session,
        workers: dict[str, str],
        trader: Trader,
    ) -> None:
        put_plan(client, trader, [LIMITS[3]])
        backdate_plan(session, trader)
        post_batch(client, workers, trader, round_trip("up", MONDAY, 30))
        # Monday's end raises the mark to 300, so the floor is 100 on Tuesday.
        post_batch(client, workers, trader, round_trip("down", TUESDAY, -21))
        [violation] = client.get("/v1/violations", headers=trader.headers).json()["items"]
        assert violation["rule_kind"] == "trailing_drawdown"
        assert violation["day"] == TUESDAY.date().isoformat()
        assert violation["cost"] == "-210"
        assert violation["observed"] == "equity 90 under the floor 100"
        [event] = events_of(session, trader.id, "rule.violated.v2")
        assert_valid_event(event)
        assert event["data"]["rule_kind"] == "trailing_drawdown"
        assert event["data"]["violation_id"] == violation["id"]

    def test_contracts_added_by_a_partial_fill_past_the_count_are_flagged(
        self,
        client: TestClient,
        session: Session,
        workers: dict[str, str],
        trader: Trader,
    ) -> None:
        contracts = {"name": "Contracts", "params": {"kind": "max_open_contracts", "count": "3"}}
        put_plan(client, trader, [contracts])
        backdate_plan(session, trader)
        post_batch(
            client,
            workers,
            trader,
            [
                fill("es-in", "buy", "2", "5000", MONDAY, instrument=ES),
                fill("nq-in", "buy", "1", "18000", MONDAY + MINUTE, instrument=NQ),
                fill("nq-add", "buy", "1", "18000", MONDAY + 2 * MINUTE, instrument=NQ),
                fill("es-out", "sell", "2", "5001", MONDAY + 3 * MINUTE, instrument=ES),
                fill("nq-out", "sell", "2", "18001", MONDAY + 4 * MINUTE, instrument=NQ),
            ],
        )
        [violation] = client.get("/v1/violations", headers=trader.headers).json()["items"]
        nq = client.get("/v1/positions?symbol=NQH6", headers=trader.headers).json()["items"]
        assert violation["position_id"] == nq[0]["id"]
        assert violation["observed"] == "4 open at once"
