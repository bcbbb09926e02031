"""Every listing behind an account selector narrows to one account with `account_id`, on
SQLite and PostgreSQL; another trader's account id is covered in test_isolation.py."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from core_api.plans import endpoints
from tests.conftest import Trader
from tests.imports.test_endpoints import upload
from tests.plans.test_endpoints import MONDAY, backdate_plan, put_plan, round_trip
from tests.playbooks.test_endpoints import create as create_playbook

TUESDAY = MONDAY + dt.timedelta(days=1)
WEDNESDAY = MONDAY + dt.timedelta(days=2)
RULES = [
    {"name": "Small", "params": {"kind": "max_position_size", "quantity": "5"}},
    {"name": "Trades", "params": {"kind": "max_trades_per_day", "count": 3}},
]


@dataclass(frozen=True)
class TwoAccounts:
    """A trader with a winner in their first account on Monday and a loser in a second
    account on Tuesday, both too large for the plan."""

    trader: Trader
    first: uuid.UUID
    second: uuid.UUID
    first_position: str
    second_position: str

    def get(self, client: TestClient, path: str, **params: Any) -> Any:
        response = client.get(path, params=params, headers=self.trader.headers)
        assert response.status_code == 200, response.text
        return response.json()


def _batch(
    client: TestClient,
    workers: dict[str, str],
    trader: Trader,
    account: uuid.UUID,
    fills: list[dict[str, Any]],
) -> None:
    response = client.post(
        f"/internal/users/{trader.id}/executions/batch",
        json={"account_id": str(account), "executions": fills},
        headers=workers,
    )
    assert response.status_code == 200, response.text


@pytest.fixture
def two_accounts(
    client: TestClient, workers: dict[str, str], session: Session, trader: Trader
) -> TwoAccounts:
    second = client.post(
        "/v1/accounts", json={"name": "Futures", "broker": "ibkr"}, headers=trader.headers
    )
    assert second.status_code == 201, second.text
    second_id = uuid.UUID(second.json()["id"])
    put_plan(client, trader, RULES)
    backdate_plan(session, trader)
    _batch(client, workers, trader, trader.account_id, round_trip("a", MONDAY, 2))
    _batch(client, workers, trader, second_id, round_trip("b", TUESDAY, -3))
    positions = client.get("/v1/positions", headers=trader.headers).json()["items"]
    by_account = {uuid.UUID(item["account_id"]): item["id"] for item in positions}
    return TwoAccounts(
        trader, trader.account_id, second_id, by_account[trader.account_id], by_account[second_id]
    )


def _write(client: TestClient, views: TwoAccounts, **about: str) -> str:
    response = client.post(
        "/v1/journal/entries",
        json={"body": f"about {about}", **about},
        headers=views.trader.headers,
    )
    assert response.status_code == 201, response.text
    entry_id: str = response.json()["id"]
    return entry_id


class TestJournalOfOneAccount:
    def test_an_account_sees_its_positions_entries_and_the_day_entries_of_days_it_traded(
        self, client: TestClient, two_accounts: TwoAccounts
    ) -> None:
        monday = _write(client, two_accounts, day=MONDAY.date().isoformat())
        tuesday = _write(client, two_accounts, day=TUESDAY.date().isoformat())
        quiet_day = _write(client, two_accounts, day=WEDNESDAY.date().isoformat())
        on_first = _write(client, two_accounts, position_id=two_accounts.first_position)
        on_second = _write(client, two_accounts, position_id=two_accounts.second_position)

        def ids(**params: Any) -> set[str]:
            page = two_accounts.get(client, "/v1/journal/entries", **params)
            return {item["id"] for item in page["items"]}

        assert ids(account_id=two_accounts.first) == {monday, on_first}
        assert ids(account_id=two_accounts.second) == {tuesday, on_second}
        assert ids() == {monday, tuesday, quiet_day, on_first, on_second}
        assert ids(account_id=two_accounts.second, day=MONDAY.date()) == set()

    def test_a_position_entry_written_on_a_day_goes_by_its_position(
        self, client: TestClient, two_accounts: TwoAccounts
    ) -> None:
        # Monday is the first account's day, but the entry is about the second's position.
        both = _write(
            client,
            two_accounts,
            day=MONDAY.date().isoformat(),
            position_id=two_accounts.second_position,
        )
        first = two_accounts.get(client, "/v1/journal/entries", account_id=two_accounts.first)
        second = two_accounts.get(client, "/v1/journal/entries", account_id=two_accounts.second)
        assert [item["id"] for item in first["items"]] == []
        assert [item["id"] for item in second["items"]] == [both]


class TestPlanOfOneAccount:
    def test_violations_are_those_naming_the_account_s_positions(
        self, client: TestClient, two_accounts: TwoAccounts
    ) -> None:
        every = two_accounts.get(client, "/v1/violations")["items"]
        assert {item["position_id"] for item in every} == {
            two_accounts.first_position,
            two_accounts.second_position,
        }
        second = two_accounts.get(client, "/v1/violations", account_id=two_accounts.second)
        assert [item["position_id"] for item in second["items"]] == [two_accounts.second_position]

    def test_adherence_counts_the_account_s_trades_and_p_and_l_only(
        self, client: TestClient, two_accounts: TwoAccounts
    ) -> None:
        combined = two_accounts.get(client, "/v1/plan/adherence")
        first = two_accounts.get(client, "/v1/plan/adherence", account_id=two_accounts.first)
        small = {rule["name"]: rule for rule in first["rules"]}["Small"]
        assert (small["evaluated"], small["violated"]) == (1, Decimal(1))
        assert [(p["net_pnl"], p["violating_positions"]) for p in first["pnl"]] == [("20", 1)]
        combined_small = {rule["name"]: rule for rule in combined["rules"]}["Small"]
        assert (combined_small["evaluated"], combined_small["violated"]) == (2, 2)
        assert [p["net_pnl"] for p in combined["pnl"]] == ["-10"]

    def test_limits_are_those_of_the_account_asked_for(
        self, client: TestClient, two_accounts: TwoAccounts, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(endpoints, "utcnow", lambda: TUESDAY + dt.timedelta(hours=2))
        every = two_accounts.get(client, "/v1/plan/limits")["items"]
        assert {item["account_id"] for item in every} == {
            str(two_accounts.first),
            str(two_accounts.second),
        }
        second = two_accounts.get(client, "/v1/plan/limits", account_id=two_accounts.second)
        assert second["items"]
        assert {item["account_id"] for item in second["items"]} == {str(two_accounts.second)}
        [trades] = [item for item in second["items"] if item["kind"] == "max_trades_per_day"]
        assert trades["current"] == "1"


class TestPlaybooksOfOneAccount:
    def test_positions_and_adherence_count_the_account_s_positions_only(
        self, client: TestClient, two_accounts: TwoAccounts
    ) -> None:
        playbook = create_playbook(client, two_accounts.trader)
        criteria = [item["id"] for item in playbook["criteria"]]
        for position, met in (
            (two_accounts.first_position, criteria),
            (two_accounts.second_position, []),
        ):
            response = client.put(
                f"/v1/positions/{position}/playbook",
                json={"playbook_id": playbook["id"], "criteria_met": met},
                headers=two_accounts.trader.headers,
            )
            assert response.status_code == 200, response.text

        def tally(**params: Any) -> tuple[int, Decimal]:
            [item] = two_accounts.get(client, "/v1/playbooks", **params)["items"]
            return item["positions"], Decimal(item["adherence_rate"])

        assert tally(account_id=two_accounts.first) == (1, Decimal(1))
        assert tally(account_id=two_accounts.second) == (1, Decimal(0))
        assert tally() == (2, Decimal("0.5"))


class TestImports:
    def test_the_history_narrows_to_the_account_s_imports(
        self, client: TestClient, trader: Trader
    ) -> None:
        second = client.post(
            "/v1/accounts", json={"name": "Futures", "broker": "ibkr"}, headers=trader.headers
        )
        assert second.status_code == 201, second.text
        uploaded = {}
        for account in (str(trader.account_id), second.json()["id"]):
            response = upload(client, trader, account_id=account)
            assert response.status_code == 202, response.text
            uploaded[account] = response.json()["id"]

        def ids(**params: Any) -> set[str]:
            response = client.get("/v1/imports", params=params, headers=trader.headers)
            assert response.status_code == 200, response.text
            return {item["id"] for item in response.json()["items"]}

        assert ids() == set(uploaded.values())
        for account, import_id in uploaded.items():
            assert ids(account_id=account) == {import_id}
