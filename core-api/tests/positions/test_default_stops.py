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
from tests.plans.test_endpoints import MAX_ONE_TRADE, backdate_plan, put_plan
from tests.plans.test_judging import plan_state
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
POINT = {"kind": "points", "distance": "1"}
TWO_POINTS = {"kind": "points", "distance": "2"}


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

    def test_ticks_read_the_account_s_own_tick_size_once_it_is_set(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        set_default(client, trader, {"kind": "ticks", "distance": "8"})
        # No tick size sent: the built-in table's 0.25 for ES, as for its point value.
        es = {"asset_class": "future", "symbol": "ESM6", "root": "ES", "expiry": "2026-06-19"}
        position = round_trip(client, workers, trader, instrument=es)
        assert (position["initial_stop"], position["r_multiple"]) == ("48", "1.4998")
        spec = {"root": "ES", "point_value": "50", "tick_size": "0.5", "currency": "USD"}
        saved = client.put(
            f"/v1/accounts/{trader.account_id}/contract-specs/ES", json=spec, headers=trader.headers
        )
        assert saved.status_code == 200, saved.text
        # 8 ticks of 0.5: 4 points below 50; 14998 over 4 × 100 × 50.
        assert stop_and_r(client, trader) == ("46", "default_rule", "0.7499")

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

    def test_a_stop_the_trader_moves_is_judged_on_the_position_s_days(
        self, client: TestClient, workers: dict[str, str], trader: Trader, session: Session
    ) -> None:
        risk = {"name": "Risk", "params": {"kind": "max_risk_per_trade", "amount": "150"}}
        put_plan(client, trader, [risk])
        backdate_plan(session, trader)
        position = round_trip(client, workers, trader)

        def move_stop(stop: str | None) -> list[str]:
            response = client.patch(
                f"/v1/positions/{position['id']}",
                json={"initial_stop": stop},
                headers=trader.headers,
            )
            assert response.status_code == 200, response.text
            items = client.get("/v1/violations", headers=trader.headers).json()["items"]
            return [item["observed"] for item in items]

        entry = Decimal(position["avg_entry_price"])
        assert move_stop(str(entry - 2)) == ["risk 200"]
        assert move_stop(str(entry - 1)) == []
        set_default(client, trader, {"kind": "points", "distance": "3"})
        assert move_stop(None) == ["risk 300"]  # the account's rule applies again

    def test_a_custom_rule_reading_the_stop_is_judged_again(
        self, client: TestClient, workers: dict[str, str], trader: Trader, session: Session
    ) -> None:
        stopped = {
            "name": "Stopped",
            "params": {"kind": "custom", "expression": "position.has_stop"},
        }
        put_plan(client, trader, [stopped])
        backdate_plan(session, trader)
        round_trip(client, workers, trader)
        assert len(client.get("/v1/violations", headers=trader.headers).json()["items"]) == 1
        set_default(client, trader, TWO_POINTS)
        assert client.get("/v1/violations", headers=trader.headers).json()["items"] == []

    def test_a_plan_that_reads_no_stop_is_left_as_judged(
        self, client: TestClient, workers: dict[str, str], trader: Trader, session: Session
    ) -> None:
        put_plan(client, trader, [MAX_ONE_TRADE])
        round_trip(client, workers, trader)
        before = plan_state(session, trader.id)
        set_default(client, trader, TWO_POINTS)
        assert plan_state(session, trader.id) == before == ("judged", 1, 1)


def new_playbook(client: TestClient, trader: Trader, stop: dict[str, str] | None) -> Any:
    response = client.post(
        "/v1/playbooks", json={"name": "ORB", "default_stop": stop}, headers=trader.headers
    )
    assert response.status_code == 201, response.text
    return response.json()


def follow(client: TestClient, trader: Trader, position_id: str, playbook_id: str | None) -> Any:
    response = client.put(
        f"/v1/positions/{position_id}/playbook",
        json={"playbook_id": playbook_id},
        headers=trader.headers,
    )
    assert response.status_code == 200, response.text
    return response.json()


def set_playbook_rule(
    client: TestClient, trader: Trader, playbook_id: str, stop: dict[str, str] | None
) -> Any:
    response = client.patch(
        f"/v1/playbooks/{playbook_id}", json={"default_stop": stop}, headers=trader.headers
    )
    assert response.status_code == 200, response.text
    return response.json()


class TestPlaybookRule:
    def test_a_playbook_s_rule_is_stored_changed_and_cleared(
        self, client: TestClient, trader: Trader
    ) -> None:
        playbook = new_playbook(client, trader, {"kind": "percent", "distance": "0.5"})
        assert playbook["default_stop"] == {"kind": "percent", "distance": "0.5"}
        changed = set_playbook_rule(client, trader, playbook["id"], POINT)
        assert changed["default_stop"] == POINT
        renamed = client.patch(
            f"/v1/playbooks/{playbook['id']}", json={"name": "Gap"}, headers=trader.headers
        ).json()
        assert renamed["default_stop"] == POINT
        assert set_playbook_rule(client, trader, playbook["id"], None)["default_stop"] is None
        [listed] = client.get("/v1/playbooks", headers=trader.headers).json()["items"]
        assert listed["default_stop"] is None

    def test_a_percent_of_100_is_refused_by_name_and_nothing_is_kept(
        self, client: TestClient, trader: Trader
    ) -> None:
        stop = {"kind": "percent", "distance": "100"}
        created = client.post(
            "/v1/playbooks", json={"name": "ORB", "default_stop": stop}, headers=trader.headers
        )
        playbook = new_playbook(client, trader, POINT)
        patched = client.patch(
            f"/v1/playbooks/{playbook['id']}", json={"default_stop": stop}, headers=trader.headers
        )
        for response in (created, patched):
            assert response.status_code == 422
            locations = [e["location"] for e in response.json()["errors"]]
            assert locations == ["body.default_stop.distance"]
        [kept] = client.get("/v1/playbooks", headers=trader.headers).json()["items"]
        assert kept["default_stop"] == POINT

    def test_the_playbook_s_rule_comes_before_the_account_s_and_leaves_with_it(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        position = round_trip(client, workers, trader)
        set_default(client, trader, TWO_POINTS)
        playbook = new_playbook(client, trader, POINT)
        followed = follow(client, trader, position["id"], playbook["id"])
        assert (followed["initial_stop"], followed["r_multiple"]) == ("49", "2.9800")
        assert stop_and_r(client, trader) == ("49", "default_rule", "2.9800")
        follow(client, trader, position["id"], None)
        assert stop_and_r(client, trader) == ("48", "default_rule", "1.4900")

    def test_a_playbook_without_a_rule_leaves_the_account_s(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        position = round_trip(client, workers, trader)
        set_default(client, trader, TWO_POINTS)
        follow(client, trader, position["id"], new_playbook(client, trader, None)["id"])
        assert stop_and_r(client, trader) == ("48", "default_rule", "1.4900")

    def test_changing_clearing_and_deleting_the_playbook_moves_its_positions_stops(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        position = round_trip(client, workers, trader)
        set_default(client, trader, TWO_POINTS)
        playbook = new_playbook(client, trader, POINT)
        follow(client, trader, position["id"], playbook["id"])
        set_playbook_rule(client, trader, playbook["id"], {"kind": "points", "distance": "4"})
        assert stop_and_r(client, trader) == ("46", "default_rule", "0.7450")
        set_playbook_rule(client, trader, playbook["id"], None)
        assert stop_and_r(client, trader) == ("48", "default_rule", "1.4900")
        set_playbook_rule(client, trader, playbook["id"], POINT)
        deleted = client.delete(f"/v1/playbooks/{playbook['id']}", headers=trader.headers)
        assert deleted.status_code == 204
        assert stop_and_r(client, trader) == ("48", "default_rule", "1.4900")

    def test_the_trader_s_stop_wins_over_the_playbook_s(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        position = round_trip(client, workers, trader)
        follow(client, trader, position["id"], new_playbook(client, trader, POINT)["id"])
        url = f"/v1/positions/{position['id']}"
        client.patch(url, json={"initial_stop": "47"}, headers=trader.headers)
        assert stop_and_r(client, trader) == ("47", "trader", "0.9933")

    def test_a_rebuilt_position_keeps_its_playbook_s_rule(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        position = round_trip(client, workers, trader)
        set_default(client, trader, TWO_POINTS)
        follow(client, trader, position["id"], new_playbook(client, trader, POINT)["id"])
        opening = client.get(f"/v1/positions/{position['id']}", headers=trader.headers).json()[
            "executions"
        ][0]
        edited = client.patch(
            f"/v1/executions/{opening['id']}", json={"commission": "2"}, headers=trader.headers
        )
        assert edited.status_code == 200, edited.text
        # The same position, matched again: net 297 over the playbook's 1 point of risk.
        assert stop_and_r(client, trader) == ("49", "default_rule", "2.9700")

    def test_ticking_a_playbook_moves_the_daily_r_sums_and_the_plan_s_verdict(
        self, client: TestClient, workers: dict[str, str], trader: Trader, session: Session
    ) -> None:
        risk = {"name": "Risk", "params": {"kind": "max_risk_per_trade", "amount": "150"}}
        put_plan(client, trader, [risk])
        backdate_plan(session, trader)
        position = round_trip(client, workers, trader)
        set_default(client, trader, TWO_POINTS)
        playbook = new_playbook(client, trader, POINT)

        def figures() -> tuple[Any, list[str]]:
            stats = client.get("/v1/statistics", headers=trader.headers).json()
            items = client.get("/v1/violations", headers=trader.headers).json()["items"]
            return stats["expectancy_r"], [item["observed"] for item in items]

        assert figures() == ("1.4900", ["risk 200"])
        follow(client, trader, position["id"], playbook["id"])
        assert figures() == ("2.9800", [])
        set_playbook_rule(client, trader, playbook["id"], {"kind": "points", "distance": "3"})
        assert figures() == ("0.9933", ["risk 300"])
