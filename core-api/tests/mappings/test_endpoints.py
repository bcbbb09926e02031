from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.conftest import Trader, assert_valid_event, events_of
from tests.imports.test_endpoints import upload

MAPPING: dict[str, Any] = {
    "columns": {
        "datetime": "Trade Date",
        "symbol": "Ticker",
        "side": "Buy/Sell",
        "quantity": "Qty",
        "price": "Fill Price",
    },
    "date_format": "%m/%d/%Y %H:%M",
    "time_zone": "America/New_York",
}
PREVIEW: dict[str, Any] = {
    "delimiter": ",",
    "header": ["Trade Date", "Ticker", "Buy/Sell", "Qty", "Fill Price"],
    "rows": [["03/02/2026 09:31", "AAPL", "B", "100", "$187.25"]],
    "guesses": [
        {"field": "datetime", "column": "Trade Date", "confidence": "0.9"},
        {"field": "symbol", "column": "Ticker", "confidence": "1"},
        {"field": "commission", "column": None, "confidence": "0"},
    ],
    "saved_mapping_id": None,
}


def save(client: TestClient, trader: Trader, name: str = "Broker X", **overrides: Any) -> Any:
    body = {"account_id": str(trader.account_id), "name": name, "mapping": MAPPING, **overrides}
    return client.post("/v1/column-mappings", json=body, headers=trader.headers)


def waiting_import(client: TestClient, trader: Trader, workers: dict[str, str]) -> str:
    """An uploaded generic CSV for which workers stored a preview: it waits for a mapping."""
    import_id = str(upload(client, trader, format="generic_csv").json()["id"])
    response = client.put(
        f"/internal/users/{trader.id}/imports/{import_id}/preview", json=PREVIEW, headers=workers
    )
    assert response.status_code == 204, response.text
    return import_id


class TestSavedMappings:
    def test_a_saved_mapping_is_listed_read_replaced_and_deleted(
        self, client: TestClient, trader: Trader
    ) -> None:
        created = save(client, trader)
        assert created.status_code == 201, created.text
        mapping = created.json()
        assert mapping["mapping"]["columns"]["quantity"] == "Qty"
        listed = client.get(
            f"/v1/column-mappings?account_id={trader.account_id}", headers=trader.headers
        ).json()
        assert listed == {"items": [mapping]}
        path = f"/v1/column-mappings/{mapping['id']}"
        assert client.get(path, headers=trader.headers).json() == mapping
        body = {"account_id": str(trader.account_id), "name": "Renamed", "mapping": MAPPING}
        replaced = client.put(path, json=body, headers=trader.headers).json()
        assert (replaced["id"], replaced["name"]) == (mapping["id"], "Renamed")
        assert client.delete(path, headers=trader.headers).status_code == 204
        assert client.get(path, headers=trader.headers).status_code == 404

    @pytest.mark.parametrize(
        ("mapping", "field"),
        [
            ({**MAPPING, "columns": {"symbol": "Ticker", "price": "P"}}, "body.mapping"),
            ({**MAPPING, "time_zone": "Mars/Olympus"}, "body.mapping.time_zone"),
            ({**MAPPING, "delimiter": "x"}, "body.mapping.delimiter"),
        ],
    )
    def test_a_mapping_that_cannot_be_applied_is_refused_naming_the_field(
        self, client: TestClient, trader: Trader, mapping: dict[str, Any], field: str
    ) -> None:
        response = save(client, trader, mapping=mapping)
        assert response.status_code == 422
        assert any(e["location"].startswith(field) for e in response.json()["errors"])

    def test_two_mappings_of_one_account_cannot_share_a_name(
        self, client: TestClient, trader: Trader
    ) -> None:
        save(client, trader)
        response = save(client, trader)
        assert response.status_code == 409
        assert response.json()["errors"][0]["location"] == "body.name"

    def test_another_trader_s_mappings_and_accounts_are_not_found(
        self, client: TestClient, trader: Trader, other_trader: Trader
    ) -> None:
        mapping_id = save(client, trader).json()["id"]
        path = f"/v1/column-mappings/{mapping_id}"
        body = {"account_id": str(other_trader.account_id), "name": "x", "mapping": MAPPING}
        for method, json in (("GET", None), ("PUT", body), ("DELETE", None)):
            response = client.request(method, path, json=json, headers=other_trader.headers)
            assert response.status_code == 404, method
        assert client.get("/v1/column-mappings", headers=other_trader.headers).json() == {
            "items": []
        }
        assert save(client, other_trader, account_id=str(trader.account_id)).status_code == 404
        assert upload(client, other_trader, mapping_id=mapping_id).status_code == 404


class TestImportsWithAMapping:
    def test_an_upload_naming_a_saved_mapping_carries_it_to_the_worker(
        self, client: TestClient, trader: Trader, workers: dict[str, str]
    ) -> None:
        mapping_id = save(client, trader).json()["id"]
        job = upload(client, trader, format="generic_csv", mapping_id=mapping_id).json()
        seen = client.get(f"/internal/users/{trader.id}/imports/{job['id']}", headers=workers)
        assert seen.json()["mapping"]["columns"] == MAPPING["columns"]
        assert seen.json()["mapping"]["time_zone"] == "America/New_York"

    def test_a_mapping_s_own_zone_is_the_one_the_import_is_read_in(
        self, client: TestClient, trader: Trader, workers: dict[str, str]
    ) -> None:
        mapping_id = save(client, trader, mapping={**MAPPING, "time_zone": "Europe/Berlin"})
        job = upload(
            client,
            trader,
            format="generic_csv",
            mapping_id=mapping_id.json()["id"],
            time_zone="Asia/Tokyo",
        ).json()

        assert job["time_zone"] == "Europe/Berlin"
        seen = client.get(f"/internal/users/{trader.id}/imports/{job['id']}", headers=workers)
        assert seen.json()["time_zone"] == "Europe/Berlin"

    def test_a_generic_csv_without_a_mapping_waits_with_its_preview_and_resumes(
        self, client: TestClient, trader: Trader, workers: dict[str, str], session: Session
    ) -> None:
        saved_id = save(client, trader).json()["id"]
        import_id = waiting_import(client, trader, workers)

        job = client.get(f"/v1/imports/{import_id}", headers=trader.headers).json()
        assert job["status"] == "failed"
        assert job["error"].startswith("needs_mapping")
        preview = client.get(f"/v1/imports/{import_id}/preview", headers=trader.headers).json()
        assert preview["header"] == PREVIEW["header"]
        assert preview["saved_mapping_id"] == saved_id
        [failed] = events_of(session, trader.id, "import.failed.v1")
        assert_valid_event(failed)

        resubmitted = client.post(
            f"/v1/imports/{import_id}/mapping", json=MAPPING, headers=trader.headers
        )
        assert resubmitted.status_code == 202, resubmitted.text
        assert (resubmitted.json()["status"], resubmitted.json()["error"]) == ("queued", None)
        seen = client.get(f"/internal/users/{trader.id}/imports/{import_id}", headers=workers)
        assert seen.json()["mapping"]["columns"] == MAPPING["columns"]
        requested = events_of(session, trader.id, "import.requested.v1")
        assert [event["data"]["import_id"] for event in requested] == [import_id, import_id]
        assert_valid_event(requested[-1])
        preview_after = client.get(f"/v1/imports/{import_id}/preview", headers=trader.headers)
        assert preview_after.status_code == 404
        again = client.post(
            f"/v1/imports/{import_id}/mapping", json=MAPPING, headers=trader.headers
        )
        assert again.status_code == 409

    def test_a_preview_names_no_saved_mapping_whose_columns_are_missing(
        self, client: TestClient, trader: Trader, workers: dict[str, str]
    ) -> None:
        other_columns = {**MAPPING, "columns": {**MAPPING["columns"], "price": "Kurs"}}
        save(client, trader, mapping=other_columns)
        import_id = waiting_import(client, trader, workers)
        preview = client.get(f"/v1/imports/{import_id}/preview", headers=trader.headers).json()
        assert preview["saved_mapping_id"] is None

    def test_a_mapping_naming_columns_the_file_lacks_is_refused(
        self, client: TestClient, trader: Trader, workers: dict[str, str]
    ) -> None:
        import_id = waiting_import(client, trader, workers)
        wrong = {**MAPPING, "columns": {**MAPPING["columns"], "price": "Kurs"}}
        response = client.post(
            f"/v1/imports/{import_id}/mapping", json=wrong, headers=trader.headers
        )
        assert response.status_code == 422
        assert [e["location"] for e in response.json()["errors"]] == ["body.columns.price"]
        job = client.get(f"/v1/imports/{import_id}", headers=trader.headers).json()
        assert job["status"] == "failed"

    def test_an_import_that_waits_for_nothing_cannot_be_resubmitted(
        self, client: TestClient, trader: Trader
    ) -> None:
        import_id = upload(client, trader, format="generic_csv").json()["id"]
        response = client.post(
            f"/v1/imports/{import_id}/mapping", json=MAPPING, headers=trader.headers
        )
        assert response.status_code == 409
        assert (
            client.get(f"/v1/imports/{import_id}/preview", headers=trader.headers).status_code
            == 404
        )

    def test_another_trader_s_waiting_import_is_not_found(
        self,
        client: TestClient,
        trader: Trader,
        other_trader: Trader,
        workers: dict[str, str],
    ) -> None:
        import_id = waiting_import(client, trader, workers)
        for method, path, json in (
            ("GET", f"/v1/imports/{import_id}/preview", None),
            ("POST", f"/v1/imports/{import_id}/mapping", MAPPING),
        ):
            response = client.request(method, path, json=json, headers=other_trader.headers)
            assert response.status_code == 404, path
        response = client.put(
            f"/internal/users/{other_trader.id}/imports/{import_id}/preview",
            json=PREVIEW,
            headers=workers,
        )
        assert response.status_code == 404
        unknown = client.get(f"/v1/imports/{uuid.uuid4()}/preview", headers=trader.headers)
        assert unknown.status_code == 404
