"""Default stop rules: the arithmetic, and R, daily R sums and plan rules following them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from core_api.positions.stops import StopRule, rule_stop
from tests.conftest import Trader, execution
from tests.executions.test_endpoints import post_batch
from tests.plans.test_endpoints import backdate_plan, put_plan
from tests.positions.test_asset_classes import ES, only_position

FUTURE = {"tick_size": "0.25"}


class TestRuleArithmetic:
    @pytest.mark.parametrize(
        ("kind", "distance", "direction", "instrument", "stop"),
        [
            ("points", "2", "long", {}, "48"),
            ("points", "2", "short", {}, "52"),
            ("percent", "4", "long", {}, "48"),
            ("percent", "4", "short", {}, "52"),
            ("ticks", "8", "long", FUTURE, "48"),
            ("ticks", "8", "short", FUTURE, "52"),
            ("ticks", "3", "long", {"tick_size": "0.01"}, "49.97"),
        ],
    )
    def test_the_stop_lies_the_distance_from_the_entry_against_the_direction(
        self, kind: str, distance: str, direction: str, instrument: dict[str, Any], stop: str
    ) -> None:
        rule = StopRule(kind, Decimal(distance))
        assert rule_stop(rule, direction, Decimal(50), instrument) == Decimal(stop)

    def test_ticks_without_a_tick_size_give_no_stop(self) -> None:
        rule = StopRule("ticks", Decimal(4))
        assert rule_stop(rule, "long", Decimal(50), {}) is None
        assert rule_stop(rule, "short", Decimal(50), {"tick_size": "0"}) is None

    def test_a_long_never_gets_a_stop_below_zero(self) -> None:
        assert rule_stop(StopRule("points", Decimal(51)), "long", Decimal(50), {}) is None
        assert rule_stop(StopRule("points", Decimal(50)), "long", Decimal(50), {}) == 0
        assert rule_stop(StopRule("points", Decimal(51)), "short", Decimal(50), {}) == 101

    def test_without_a_rule_there_is_no_stop(self) -> None:
        assert rule_stop(None, "long", Decimal(50), FUTURE) is None


MONDAY = "2026-03-02"


def round_trip(
    client: TestClient,
    workers: dict[str, str],
    trader: Trader,
    direction: str = "long",
    instrument: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """100 at 50, out at 53 (long) or 47 (short), $1 commission a fill: net 298 either way
    for a stock (AAPL unless `instrument` is given)."""
    enter, leave, exit_price = (
        ("buy", "sell", "53") if direction == "long" else ("sell", "buy", "47")
    )
    extra: dict[str, Any] = {"commission": "1"}
    symbol = "AAPL"
    if instrument is not None:
        extra["instrument"] = instrument
        symbol = instrument["symbol"]
    post_batch(
        client,
        workers,
        trader,
        [
            execution(f"{symbol}-in", enter, "100", "50", f"{MONDAY}T15:00:00Z", **extra),
            execution(f"{symbol}-out", leave, "100", exit_price, f"{MONDAY}T16:00:00Z", **extra),
        ],
    )
    return only_position(client, trader, f"symbol={symbol}")


def set_default(client: TestClient, trader: Trader, stop: dict[str, str] | None) -> Any:
    response = client.patch(
        f"/v1/accounts/{trader.account_id}", json={"default_stop": stop}, headers=trader.headers
    )
    assert response.status_code == 200, response.text
    return response.json()


def stop_and_r(client: TestClient, trader: Trader) -> tuple[Any, Any, Any]:
    position = client.get(
        f"/v1/positions/{only_position(client, trader)['id']}", headers=trader.headers
    ).json()
    return position["initial_stop"], position["stop_source"], position["r_multiple"]


class TestAccountRule:
    @pytest.mark.parametrize(
        ("direction", "stop", "expected"),
        [
            ("long", {"kind": "points", "distance": "2"}, "48"),
            ("long", {"kind": "percent", "distance": "4"}, "48"),
            ("short", {"kind": "points", "distance": "2"}, "52"),
            ("short", {"kind": "percent", "distance": "4"}, "52"),
        ],
    )
    def test_a_position_without_the_trader_s_stop_takes_the_account_s(
        self,
        client: TestClient,
        workers: dict[str, str],
        trader: Trader,
        direction: str,
        stop: dict[str, str],
        expected: str,
    ) -> None:
        round_trip(client, workers, trader, direction)
        assert stop_and_r(client, trader) == (None, None, None)
        set_default(client, trader, stop)
        # 298 / (2 × 100 × 1).
        assert stop_and_r(client, trader) == (expected, "default_rule", "1.4900")

    def test_a_position_matched_after_the_rule_is_set_takes_it_too(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        set_default(client, trader, {"kind": "points", "distance": "2"})
        position = round_trip(client, workers, trader)
        assert (position["initial_stop"], position["r_multiple"]) == ("48", "1.4900")

    def test_ticks_follow_the_future_s_tick_size_and_a_stock_without_one_has_no_stop(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        set_default(client, trader, {"kind": "ticks", "distance": "8"})
        stock = round_trip(client, workers, trader)  # no tick size
        assert (stock["initial_stop"], stock["stop_source"], stock["r_multiple"]) == (None,) * 3
        future = round_trip(client, workers, trader, instrument=ES)
        # ES: 8 ticks of 0.25 below 50 is 48; net 3 × 100 × 50 − 2 = 14998 over 2 × 100 × 50.
        position = client.get(f"/v1/positions/{future['id']}", headers=trader.headers).json()
        assert (position["initial_stop"], position["stop_source"]) == ("48", "default_rule")
        assert position["r_multiple"] == "1.4998"

    def test_the_trader_s_stop_wins_and_clearing_it_gives_the_rule_s_back(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        position = round_trip(client, workers, trader)
        set_default(client, trader, {"kind": "points", "distance": "2"})
        url = f"/v1/positions/{position['id']}"
        client.patch(url, json={"initial_stop": "49"}, headers=trader.headers)
        assert stop_and_r(client, trader) == ("49", "trader", "2.9800")
        set_default(client, trader, {"kind": "points", "distance": "1"})
        assert stop_and_r(client, trader) == ("49", "trader", "2.9800")
        client.patch(url, json={"initial_stop": None}, headers=trader.headers)
        assert stop_and_r(client, trader) == ("49", "default_rule", "2.9800")

    def test_clearing_the_rule_takes_the_stop_and_r_away(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        round_trip(client, workers, trader)
        set_default(client, trader, {"kind": "points", "distance": "2"})
        account = set_default(client, trader, None)
        assert account["default_stop"] is None
        assert stop_and_r(client, trader) == (None, None, None)

    def test_the_daily_r_sums_follow_setting_and_clearing_the_rule(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        round_trip(client, workers, trader)

        def r_figures() -> tuple[Any, Any]:
            stats = client.get("/v1/statistics", headers=trader.headers).json()
            return stats["expectancy_r"], stats["trades_with_r"]

        assert r_figures() == (None, 0)
        set_default(client, trader, {"kind": "points", "distance": "2"})
        assert r_figures() == ("1.4900", 1)
        set_default(client, trader, {"kind": "points", "distance": "4"})
        assert r_figures() == ("0.7450", 1)
        set_default(client, trader, None)
        assert r_figures() == (None, 0)

    def test_a_risk_per_trade_rule_is_judged_again_on_the_rule_s_stop(
        self, client: TestClient, workers: dict[str, str], trader: Trader, session: Session
    ) -> None:
        risk = {"name": "Risk", "params": {"kind": "max_risk_per_trade", "amount": "150"}}
        put_plan(client, trader, [risk])
        backdate_plan(session, trader)
        round_trip(client, workers, trader)

        def violations() -> list[str]:
            items = client.get("/v1/violations", headers=trader.headers).json()["items"]
            return [item["observed"] for item in items]

        assert violations() == []  # no stop, no risk
        set_default(client, trader, {"kind": "points", "distance": "2"})
        assert violations() == ["risk 200"]  # 2 × 100
        set_default(client, trader, {"kind": "points", "distance": "1"})
        assert violations() == []  # 100 is within 150
        set_default(client, trader, {"kind": "points", "distance": "3"})
        assert violations() == ["risk 300"]
        set_default(client, trader, None)
        assert violations() == []
