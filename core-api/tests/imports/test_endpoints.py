from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from core_api.app import create_app
from core_api.config import Settings
from tests.conftest import Trader, assert_valid_event, events_of, make_trader

CSV = b"date,symbol,side,qty,price\n2026-03-02T10:00:00-05:00,AAPL,BUY,10,187.12\n"


def upload(client: TestClient, trader: Trader, content: bytes = CSV, **fields: str) -> Any:
    data = {"account_id": str(trader.account_id), **fields}
    return client.post(
        "/v1/imports",
        files={"file": ("../march trades.csv", content, "text/csv")},
        data=data,
        headers={**trader.headers, "traceparent": "00-" + "a" * 32 + "-" + "b" * 16 + "-01"},
    )


class TestUpload:
    def test_upload_records_a_queued_job_and_requests_parsing(
        self, client: TestClient, trader: Trader, session: Session
    ) -> None:
        response = upload(client, trader, format="generic_csv")
        assert response.status_code == 202, response.text
        job = response.json()
        assert (job["status"], job["format"], job["mode"]) == (
            "queued",
            "generic_csv",
            "valid_only",
        )
        assert job["filename"] == "march_trades.csv"
        assert job["size_bytes"] == len(CSV)
        [event] = events_of(session, trader.id, "import.requested.v1")
        assert event["data"]["import_id"] == job["id"]
        # The request's own span, in the trace the caller started.
        assert event["traceparent"].split("-")[1] == "a" * 32
        assert_valid_event(event)

    def test_the_raw_file_comes_back_byte_for_byte(
        self, client: TestClient, trader: Trader
    ) -> None:
        job = upload(client, trader).json()
        raw = client.get(f"/v1/imports/{job['id']}/raw", headers=trader.headers)
        assert raw.status_code == 200
        assert raw.content == CSV

    def test_bad_form_fields_are_named(self, client: TestClient, trader: Trader) -> None:
        response = upload(client, trader, format="excel", mode="sometimes")
        assert response.status_code == 422
        locations = {error["location"] for error in response.json()["errors"]}
        assert locations == {"form.format", "form.mode"}

    def test_times_are_read_in_the_account_s_zone_unless_one_is_chosen(
        self, client: TestClient, trader: Trader
    ) -> None:
        tokyo = client.post(
            "/v1/accounts",
            json={"name": "Tokyo", "broker": "manual", "time_zone": "Asia/Tokyo"},
            headers=trader.headers,
        )
        assert tokyo.status_code == 201, tokyo.text
        account_id = tokyo.json()["id"]

        default = upload(client, trader, account_id=account_id).json()
        chosen = upload(client, trader, account_id=account_id, time_zone="Europe/London").json()

        assert default["time_zone"] == "Asia/Tokyo"
        assert chosen["time_zone"] == "Europe/London"
        detail = client.get(f"/v1/imports/{chosen['id']}", headers=trader.headers).json()
        assert detail["time_zone"] == "Europe/London"

    def test_an_unknown_zone_is_named_and_nothing_is_recorded(
        self, client: TestClient, trader: Trader
    ) -> None:
        response = upload(client, trader, time_zone="Mars/Olympus_Mons")

        assert response.status_code == 422
        assert [error["location"] for error in response.json()["errors"]] == ["form.time_zone"]
        assert client.get("/v1/imports", headers=trader.headers).json()["items"] == []

    def test_another_trader_s_account_is_not_found(
        self, client: TestClient, trader: Trader, other_trader: Trader
    ) -> None:
        response = client.post(
            "/v1/imports",
            files={"file": ("a.csv", CSV, "text/csv")},
            data={"account_id": str(other_trader.account_id)},
            headers=trader.headers,
        )
        assert response.status_code == 404

    def test_list_pages_newest_first(self, client: TestClient, trader: Trader) -> None:
        ids = [upload(client, trader).json()["id"] for _ in range(3)]
        first = client.get("/v1/imports?limit=2", headers=trader.headers).json()
        second = client.get(
            f"/v1/imports?limit=2&cursor={first['next_cursor']}", headers=trader.headers
        ).json()
        assert [job["id"] for job in first["items"] + second["items"]] == ids[::-1]


class TestUploadLimit:
    @pytest.fixture
    def small_client(
        self, database_url: str, data_dir: Path, sessions: sessionmaker[Session]
    ) -> Iterator[TestClient]:
        settings = Settings(database_url=database_url, data_dir=data_dir, max_upload_bytes=100)
        with TestClient(create_app(settings, sessions=sessions)) as client:
            yield client

    def test_an_announced_oversized_body_is_refused_before_reading(
        self, small_client: TestClient
    ) -> None:
        trader = make_trader(small_client)
        response = upload(small_client, trader, content=b"x" * 200_000)
        assert response.status_code == 413
        assert response.headers["content-type"] == "application/problem+json"

    def test_a_file_over_the_limit_is_refused_and_not_recorded(
        self, small_client: TestClient, data_dir: Path
    ) -> None:
        trader = make_trader(small_client)
        response = upload(small_client, trader, content=b"x" * 1000)
        assert response.status_code == 413
        listed = small_client.get("/v1/imports", headers=trader.headers).json()
        assert listed["items"] == []
        assert stored_files(data_dir, trader) == []


class TestWorkerReports:
    def test_progress_marks_the_import_running(
        self, client: TestClient, workers: dict[str, str], trader: Trader, session: Session
    ) -> None:
        job = upload(client, trader).json()
        response = client.post(
            f"/internal/users/{trader.id}/imports/{job['id']}/progress",
            json={"rows_processed": 10, "rows_total": 40, "detected_format": "generic_csv"},
            headers=workers,
        )
        assert response.status_code == 204
        detail = client.get(f"/v1/imports/{job['id']}", headers=trader.headers).json()
        assert (detail["status"], detail["detected_format"]) == ("running", "generic_csv")
        [event] = events_of(session, trader.id, "import.progressed.v1")
        assert (event["data"]["rows_processed"], event["data"]["rows_total"]) == (10, 40)
        assert_valid_event(event)

    def test_a_completed_outcome_keeps_counts_and_rejected_rows(
        self, client: TestClient, workers: dict[str, str], trader: Trader, session: Session
    ) -> None:
        job = upload(client, trader).json()
        outcome = {
            "status": "completed",
            "detected_format": "generic_csv",
            "counts": {"new": 3, "duplicate": 1, "rejected": 1},
            "rejected_rows": [{"file": "a.csv", "line": 4, "field": "price", "reason": "empty"}],
        }
        url = f"/internal/users/{trader.id}/imports/{job['id']}/outcome"
        assert client.post(url, json=outcome, headers=workers).status_code == 204
        assert client.post(url, json=outcome, headers=workers).status_code == 204
        detail = client.get(f"/internal/users/{trader.id}/imports/{job['id']}", headers=workers)
        body = detail.json()
        assert body["status"] == "completed"
        assert body["counts"] == {"new": 3, "duplicate": 1, "rejected": 1}
        assert body["rejected_rows"][0]["line"] == 4
        assert body["finished_at"] is not None
        [event] = events_of(session, trader.id, "import.completed.v1")
        assert_valid_event(event)

    def test_a_failed_outcome_writes_the_reason(
        self, client: TestClient, workers: dict[str, str], trader: Trader, session: Session
    ) -> None:
        job = upload(client, trader).json()
        client.post(
            f"/internal/users/{trader.id}/imports/{job['id']}/outcome",
            json={"status": "failed", "counts": {}, "error": "not a CSV file"},
            headers=workers,
        )
        [event] = events_of(session, trader.id, "import.failed.v1")
        assert event["data"]["reason"] == "not a CSV file"
        assert_valid_event(event)

    def test_an_import_under_another_user_id_is_not_found(
        self, client: TestClient, workers: dict[str, str], trader: Trader, other_trader: Trader
    ) -> None:
        job = upload(client, trader).json()
        response = client.post(
            f"/internal/users/{other_trader.id}/imports/{job['id']}/progress",
            json={"rows_processed": 1},
            headers=workers,
        )
        assert response.status_code == 404
        unknown = client.get(f"/v1/imports/{uuid.uuid4()}", headers=trader.headers)
        assert unknown.status_code == 404


def stored_files(data_dir: Path, trader: Trader) -> list[Path]:
    folder = data_dir / "objects" / "imports" / str(trader.id)
    return [path for path in folder.rglob("*") if path.is_file()]


class TestStreamingUpload:
    def test_the_file_may_come_before_the_form_fields(
        self, client: TestClient, trader: Trader
    ) -> None:
        body = (
            b"--b0\r\n"
            b'Content-Disposition: form-data; name="file"; filename="t.csv"\r\n'
            b"Content-Type: text/csv\r\n\r\n" + CSV + b"\r\n"
            b"--b0\r\n"
            b'Content-Disposition: form-data; name="account_id"\r\n\r\n'
            + str(trader.account_id).encode()
            + b"\r\n--b0--\r\n"
        )
        response = client.post(
            "/v1/imports",
            content=body,
            headers={**trader.headers, "Content-Type": "multipart/form-data; boundary=b0"},
        )
        assert response.status_code == 202, response.text
        assert response.json()["size_bytes"] == len(CSV)

    def test_a_body_that_is_not_multipart_is_a_problem(
        self, client: TestClient, trader: Trader
    ) -> None:
        response = client.post("/v1/imports", json={"file": "x"}, headers=trader.headers)
        assert response.status_code == 400
        assert response.headers["content-type"] == "application/problem+json"

    def test_a_form_without_a_file_names_the_missing_field(
        self, client: TestClient, trader: Trader
    ) -> None:
        response = client.post(
            "/v1/imports",
            files={"note": (None, "hello")},
            data={"account_id": str(trader.account_id)},
            headers=trader.headers,
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["location"] == "form.file"

    def test_two_files_are_refused(self, client: TestClient, trader: Trader) -> None:
        response = client.post(
            "/v1/imports",
            files=[("file", ("a.csv", CSV, "text/csv")), ("file", ("b.csv", CSV, "text/csv"))],
            data={"account_id": str(trader.account_id)},
            headers=trader.headers,
        )
        assert response.status_code == 400

    def test_a_refused_upload_leaves_nothing_in_the_store(
        self, client: TestClient, trader: Trader, other_trader: Trader, data_dir: Path
    ) -> None:
        response = client.post(
            "/v1/imports",
            files={"file": ("a.csv", CSV, "text/csv")},
            data={"account_id": str(other_trader.account_id)},
            headers=trader.headers,
        )
        assert response.status_code == 404
        assert stored_files(data_dir, trader) == []
        upload(client, trader)
        assert len(stored_files(data_dir, trader)) == 1
