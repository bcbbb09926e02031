"""Starting balance, risk unit, cash movements and the balance at a moment, through the API."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Trader, execution
from tests.executions.test_endpoints import post_batch


def movement(client: TestClient, trader: Trader, at: str, amount: str) -> Any:
    return client.post(
        f"/v1/accounts/{trader.account_id}/cash-movements",
        json={"occurred_at": at, "amount": amount, "note": "wire"},
        headers=trader.headers,
    )


def balance(client: TestClient, trader: Trader, at: str) -> dict[str, Any]:
    response = client.get(
        f"/v1/accounts/{trader.account_id}/balance", params={"at": at}, headers=trader.headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


class TestAccountFields:
    def test_a_starting_balance_and_risk_unit_are_set_and_cleared(
        self, client: TestClient, trader: Trader
    ) -> None:
        path = f"/v1/accounts/{trader.account_id}"
        changed = client.patch(
            path, json={"starting_balance": "25000", "risk_unit": "250"}, headers=trader.headers
        )
        assert changed.status_code == 200, changed.text
        assert (changed.json()["starting_balance"], changed.json()["risk_unit"]) == ("25000", "250")
        cleared = client.patch(path, json={"risk_unit": None}, headers=trader.headers).json()
        assert (cleared["starting_balance"], cleared["risk_unit"]) == ("25000", None)
        [listed] = client.get("/v1/accounts", headers=trader.headers).json()["items"]
        assert listed == cleared

    def test_a_new_account_takes_them_at_once(self, client: TestClient, trader: Trader) -> None:
        body = {
            "name": "Prop",
            "broker": "tradovate",
            "starting_balance": "50000",
            "risk_unit": "500",
        }
        created = client.post("/v1/accounts", json=body, headers=trader.headers)
        assert created.status_code == 201, created.text
        assert created.json()["starting_balance"] == "50000"

    def test_fields_that_would_need_a_rematch_are_refused_by_name(
        self, client: TestClient, trader: Trader
    ) -> None:
        response = client.patch(
            f"/v1/accounts/{trader.account_id}",
            json={"matching_method": "lifo", "risk_unit": "0"},
            headers=trader.headers,
        )
        assert response.status_code == 422
        locations = {error["location"] for error in response.json()["errors"]}
        assert locations == {"body.risk_unit"}  # the contracts refuse a risk unit of 0 first
        response = client.patch(
            f"/v1/accounts/{trader.account_id}",
            json={"matching_method": "lifo"},
            headers=trader.headers,
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["location"] == "body.matching_method"

    def test_a_default_stop_is_set_on_create_changed_and_cleared(
        self, client: TestClient, trader: Trader
    ) -> None:
        created = client.post(
            "/v1/accounts",
            json={
                "name": "Futures",
                "broker": "tradovate",
                "default_stop": {"kind": "ticks", "distance": "8"},
            },
            headers=trader.headers,
        )
        assert created.status_code == 201, created.text
        assert created.json()["default_stop"] == {"kind": "ticks", "distance": "8"}
        path = f"/v1/accounts/{created.json()['id']}"
        changed = client.patch(
            path,
            json={"default_stop": {"kind": "percent", "distance": "1.5"}},
            headers=trader.headers,
        ).json()
        assert changed["default_stop"] == {"kind": "percent", "distance": "1.5"}
        renamed = client.patch(path, json={"name": "ES"}, headers=trader.headers).json()
        assert renamed["default_stop"] == changed["default_stop"]
        cleared = client.patch(path, json={"default_stop": None}, headers=trader.headers).json()
        assert cleared["default_stop"] is None
        listed = client.get("/v1/accounts", headers=trader.headers).json()["items"]
        assert [a["default_stop"] for a in listed if a["name"] == "ES"] == [None]

    @pytest.mark.parametrize(
        ("stop", "location"),
        [
            ({"kind": "percent", "distance": "100"}, "body.default_stop.distance"),
            ({"kind": "points", "distance": "0"}, "body.default_stop.distance"),
            ({"kind": "dollars", "distance": "5"}, "body.default_stop.kind"),
        ],
    )
    def test_a_default_stop_that_cannot_place_a_stop_is_refused_by_name(
        self, client: TestClient, trader: Trader, stop: dict[str, str], location: str
    ) -> None:
        created = client.post(
            "/v1/accounts",
            json={"name": "Futures", "broker": "tradovate", "default_stop": stop},
            headers=trader.headers,
        )
        patched = client.patch(
            f"/v1/accounts/{trader.account_id}", json={"default_stop": stop}, headers=trader.headers
        )
        for response in (created, patched):
            assert response.status_code == 422
            assert [e["location"] for e in response.json()["errors"]] == [location]
        accounts = client.get("/v1/accounts", headers=trader.headers).json()["items"]
        assert [(a["name"], a["default_stop"]) for a in accounts] == [("Main", None)]


class TestCashMovements:
    def test_movements_are_listed_newest_first_and_deleted(
        self, client: TestClient, trader: Trader
    ) -> None:
        first = movement(client, trader, "2026-03-01T12:00:00Z", "5000")
        second = movement(client, trader, "2026-03-05T12:00:00Z", "-1200.50")
        assert first.status_code == second.status_code == 201
        assert second.json()["currency"] == "USD"
        path = f"/v1/accounts/{trader.account_id}/cash-movements"
        items = client.get(path, headers=trader.headers).json()["items"]
        assert [item["amount"] for item in items] == ["-1200.5", "5000"]
        gone = client.delete(f"{path}/{second.json()['id']}", headers=trader.headers)
        assert gone.status_code == 204
        assert [
            item["id"] for item in client.get(path, headers=trader.headers).json()["items"]
        ] == [first.json()["id"]]
        again = client.delete(f"{path}/{second.json()['id']}", headers=trader.headers)
        assert again.status_code == 404

    def test_a_zero_amount_is_refused_naming_the_field(
        self, client: TestClient, trader: Trader
    ) -> None:
        response = movement(client, trader, "2026-03-01T12:00:00Z", "0.00")
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"][0]["location"] == "body.amount"


class TestBalance:
    def test_starting_balance_plus_cash_plus_closed_pnl_up_to_the_moment(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        client.patch(
            f"/v1/accounts/{trader.account_id}",
            json={"starting_balance": "10000"},
            headers=trader.headers,
        )
        movement(client, trader, "2026-03-03T12:00:00Z", "2500")
        post_batch(
            client,
            workers,
            trader,
            [
                execution("a-in", "buy", "10", "100", "2026-03-02T15:00:00Z"),
                execution("a-out", "sell", "10", "103", "2026-03-02T16:00:00Z"),
                execution("b-in", "buy", "10", "100", "2026-03-04T15:00:00Z"),
            ],
        )
        before = balance(client, trader, "2026-03-02T15:59:59Z")
        assert (before["realised_pnl_net"], before["balance"]) == ("0", "10000")
        at_close = balance(client, trader, "2026-03-02T16:00:00Z")
        assert (at_close["realised_pnl_net"], at_close["balance"]) == ("30", "10030")
        later = balance(client, trader, "2026-03-05T00:00:00Z")  # b is still open
        assert later == {
            "account_id": str(trader.account_id),
            "currency": "USD",
            "as_of": "2026-03-05T00:00:00Z",
            "starting_balance": "10000",
            "cash_movements": "2500",
            "realised_pnl_net": "30",
            "balance": "12530",
        }

    def test_without_a_starting_balance_the_answer_says_so(
        self, client: TestClient, trader: Trader
    ) -> None:
        response = client.get(f"/v1/accounts/{trader.account_id}/balance", headers=trader.headers)
        assert response.status_code == 409
        assert "starting balance" in response.json()["detail"]

    def test_a_moment_without_an_offset_is_refused(
        self, client: TestClient, trader: Trader
    ) -> None:
        response = client.get(
            f"/v1/accounts/{trader.account_id}/balance",
            params={"at": "2026-03-05T00:00:00"},
            headers=trader.headers,
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["location"] == "query.at"
