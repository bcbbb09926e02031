from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import delete
from sqlalchemy.orm import Session

from core_api.executions.models import ExecutionRecord
from tests.conftest import Trader
from tests.executions.test_endpoints import ROUND_TRIP, post_batch


def the_position(client: TestClient, trader: Trader) -> dict[str, Any]:
    [position] = client.get("/v1/positions", headers=trader.headers).json()["items"]
    detail = client.get(f"/v1/positions/{position['id']}", headers=trader.headers)
    assert detail.status_code == 200, detail.text
    body: dict[str, Any] = detail.json()
    return body


def fill_of(position: dict[str, Any], broker_id: str) -> dict[str, Any]:
    [fill] = [e for e in position["executions"] if e["broker_execution_id"] == broker_id]
    found: dict[str, Any] = fill
    return found


def patch(client: TestClient, trader: Trader, fill_id: str, body: dict[str, Any]) -> Any:
    response = client.patch(f"/v1/executions/{fill_id}", json=body, headers=trader.headers)
    assert response.status_code == 200, response.text
    return response.json()


class TestEdits:
    def test_an_edit_shows_the_original_and_rebuilds_the_position(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        post_batch(client, workers, trader, ROUND_TRIP)
        entry = fill_of(the_position(client, trader), "e1")
        # A batch without an import is a broker sync's.
        assert (entry["source"], entry["note"], entry["edits"]) == ("broker", None, [])
        edited = patch(client, trader, entry["id"], {"price": "187.0001", "note": "typo"})
        assert edited["price"] == "187.0001"
        assert edited["note"] == "typo"
        assert {e["field"]: (e["original"], e["value"]) for e in edited["edits"]} == {
            "price": ("187.1234", "187.0001"),
            "note": (None, "typo"),
        }
        # (188.0001 - 187.0001) * 100 - 1.00 - 0.35
        assert Decimal(the_position(client, trader)["realised_pnl_net"]) == Decimal("98.65")

    def test_an_edit_survives_importing_the_same_file_again(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        post_batch(client, workers, trader, ROUND_TRIP)
        entry = fill_of(the_position(client, trader), "e1")
        patch(client, trader, entry["id"], {"fees": "0.5"})
        assert post_batch(client, workers, trader, ROUND_TRIP) == {"inserted": 0, "duplicates": 2}
        entry = fill_of(the_position(client, trader), "e1")
        assert entry["fees"] == "0.5"
        assert entry["edits"] == [{"field": "fees", "original": "0", "value": "0.5"}]

    def test_a_fill_stored_again_gets_its_edits_at_insert(
        self,
        client: TestClient,
        workers: dict[str, str],
        trader: Trader,
        session: Session,
    ) -> None:
        post_batch(client, workers, trader, ROUND_TRIP)
        entry = fill_of(the_position(client, trader), "e1")
        patch(client, trader, entry["id"], {"executed_at": "2026-03-02T09:45:00-05:00"})
        # As when the import is discarded: the rows go, the edits stay.
        session.execute(delete(ExecutionRecord).where(ExecutionRecord.user_id == trader.id))
        session.commit()
        assert post_batch(client, workers, trader, ROUND_TRIP)["inserted"] == 2
        position = the_position(client, trader)
        assert position["opened_at"] == "2026-03-02T14:45:00Z"
        assert fill_of(position, "e1")["edits"][0]["original"] == "2026-03-02T09:31:00-05:00"

    def test_revert_takes_a_field_back_to_the_source_s_value(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        post_batch(client, workers, trader, ROUND_TRIP)
        entry = fill_of(the_position(client, trader), "e1")
        patch(client, trader, entry["id"], {"price": "1", "commission": "2"})
        reverted = patch(client, trader, entry["id"], {"revert": ["price"]})
        assert reverted["price"] == "187.1234"
        assert [e["field"] for e in reverted["edits"]] == ["commission"]
        assert patch(client, trader, entry["id"], {"revert": ["commission"]})["edits"] == []
        # (188.0001 - 187.1234) * 100 - 1.00 - 0.35
        assert Decimal(the_position(client, trader)["realised_pnl_net"]) == Decimal("86.32")

    def test_bad_values_are_refused_naming_the_field(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        post_batch(client, workers, trader, ROUND_TRIP)
        entry = fill_of(the_position(client, trader), "e1")
        for body, location in [
            ({"quantity": "-1"}, "body.quantity"),
            ({"quantity": None}, "body.quantity"),
            ({"price": "1", "revert": ["price"]}, "body.revert.0"),
            ({"revert": ["side"]}, "body.revert.0"),
        ]:
            response = client.patch(
                f"/v1/executions/{entry['id']}", json=body, headers=trader.headers
            )
            assert response.status_code == 422, body
            assert [e["location"] for e in response.json()["errors"]] == [location]


class TestDeletes:
    def test_a_fill_deleted_by_hand_is_not_imported_again(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        post_batch(client, workers, trader, ROUND_TRIP)
        exit_fill = fill_of(the_position(client, trader), "e2")
        response = client.delete(f"/v1/executions/{exit_fill['id']}", headers=trader.headers)
        assert response.status_code == 204
        position = the_position(client, trader)
        assert (position["status"], position["execution_count"]) == ("open", 1)
        assert post_batch(client, workers, trader, ROUND_TRIP) == {"inserted": 0, "duplicates": 2}
        assert the_position(client, trader)["execution_count"] == 1

    def test_deleting_a_position_deletes_its_fills(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        post_batch(client, workers, trader, ROUND_TRIP)
        position = the_position(client, trader)
        response = client.delete(f"/v1/positions/{position['id']}", headers=trader.headers)
        assert response.status_code == 204
        assert client.get("/v1/positions", headers=trader.headers).json()["items"] == []
        assert post_batch(client, workers, trader, ROUND_TRIP)["inserted"] == 0


class TestManualEntry:
    def test_a_manual_fill_is_stored_and_settled(self, client: TestClient, trader: Trader) -> None:
        response = client.post(
            "/v1/executions",
            json={
                "account_id": str(trader.account_id),
                "executed_at": "2026-03-02T14:31:00Z",
                "instrument": {"asset_class": "stock", "symbol": "AAPL"},
                "side": "buy",
                "quantity": "100",
                "price": "187.12",
                "commission": "1.00",
                "open_close": "open",
                "note": "from the phone app",
            },
            headers=trader.headers,
        )
        assert response.status_code == 201, response.text
        fill = response.json()
        assert fill["source"] == "manual"
        # Its identity, as an import's fingerprint is: edits are kept by it.
        assert re.fullmatch(r"manual:[0-9a-f-]{36}", fill["fingerprint"])
        assert fill["open_close"] == "open"
        assert fill["note"] == "from the phone app"
        assert fill["position_id"] == the_position(client, trader)["id"]

    def test_a_manual_position_has_its_p_and_l_to_the_cent(
        self, client: TestClient, trader: Trader
    ) -> None:
        response = client.post(
            "/v1/positions",
            json={
                "account_id": str(trader.account_id),
                "instrument": {
                    "asset_class": "future",
                    "symbol": "ESH6",
                    "root": "ES",
                    "expiry": "2026-03-20",
                    "multiplier": "50",
                },
                "direction": "short",
                "quantity": "2",
                "entry_at": "2026-03-02T14:35:00Z",
                "entry_price": "5131.50",
                "exit_at": "2026-03-02T15:10:00Z",
                "exit_price": "5120.25",
                "commission": "2.50",
                "initial_stop": "5140.00",
            },
            headers=trader.headers,
        )
        assert response.status_code == 201, response.text
        position = response.json()
        assert (position["direction"], position["status"]) == ("short", "closed")
        # 11.25 points * 2 contracts * 50 - 2 fills * 2.50
        assert Decimal(position["realised_pnl_gross"]) == Decimal("1125.00")
        assert Decimal(position["realised_pnl_net"]) == Decimal("1120.00")
        assert Decimal(position["initial_stop"]) == Decimal("5140.00")
        assert [(e["side"], e["source"]) for e in position["executions"]] == [
            ("sell", "manual"),
            ("buy", "manual"),
        ]

    def test_an_exit_needs_both_its_time_and_its_price(
        self, client: TestClient, trader: Trader
    ) -> None:
        response = client.post(
            "/v1/positions",
            json={
                "account_id": str(trader.account_id),
                "instrument": {"asset_class": "stock", "symbol": "AAPL"},
                "direction": "long",
                "quantity": "1",
                "entry_at": "2026-03-02T15:00:00Z",
                "entry_price": "10",
                "exit_at": "2026-03-02T16:00:00Z",
            },
            headers=trader.headers,
        )
        assert response.status_code == 422
        assert [e["location"] for e in response.json()["errors"]] == ["body.exit_price"]
