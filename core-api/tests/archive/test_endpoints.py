from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import uuid
import zipfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import obstore
import pytest
import tradeloop_contracts
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core_api.app import create_app
from core_api.config import Settings
from core_api.identity.models import UserRecord
from tests.attachments.test_endpoints import png
from tests.brokers.test_endpoints import SECRET, connect
from tests.conftest import Trader, execution, make_trader, service_headers
from tests.imports.test_endpoints import CSV, upload
from tests.insights.test_endpoints import INSIGHT
from tests.mappings.test_endpoints import save
from tests.plans.test_endpoints import backdate_plan
from tests.positions.test_excursions import EXCURSIONS
from tests.reviews.test_endpoints import review, store

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
OPTION = {
    "asset_class": "option",
    "symbol": "AAPL  260320C00150000",
    "underlying": "AAPL",
    "expiry": "2026-03-20",
    "strike": "150",
    "right": "call",
}
FUTURE = {"asset_class": "future", "symbol": "MESH6", "root": "MES", "expiry": "2026-03-20"}


def batch(
    client: TestClient,
    workers: dict[str, str],
    trader: Trader,
    account_id: str,
    fills: list[dict[str, Any]],
    import_id: str | None = None,
) -> None:
    response = client.post(
        f"/internal/users/{trader.id}/executions/batch",
        json={"account_id": account_id, "import_id": import_id, "executions": fills},
        headers=workers,
    )
    assert response.status_code == 200, response.text


def without_id(fill: dict[str, Any]) -> dict[str, Any]:
    """The fill as an importer sends a row without a broker id: known by its fingerprint."""
    return {**fill, "broker_execution_id": None, "fingerprint": f"fp-{fill['broker_execution_id']}"}


def rich_account(
    client: TestClient, workers: dict[str, str], session: Session, trader: Trader
) -> None:
    """Two accounts with stocks, options and futures, a fill entered by hand and one edited,
    a starting balance, a cash movement, a fee schedule and default stop rules,
    tags, stops, a playbook ticked on a position, a journal with pictures, a plan of two
    versions with violations, insights, a review and an import with its file."""
    headers = trader.headers
    main = str(trader.account_id)
    futures = client.post(
        "/v1/accounts",
        json={
            "name": "Futures",
            "broker": "tradovate",
            "account_number": "88881234",
            "base_currency": "USD",
            "time_zone": "America/Chicago",
            "matching_method": "lifo",
            "breakeven_band": "2.5",
            "starting_balance": "50000",
            "risk_unit": "250",
            "default_stop": {"kind": "ticks", "distance": "8"},
        },
        headers=headers,
    ).json()["id"]
    deposit = client.post(
        f"/v1/accounts/{futures}/cash-movements",
        json={"occurred_at": "2026-03-01T12:00:00Z", "amount": "-1500.00", "note": "payout"},
        headers=headers,
    )
    assert deposit.status_code == 201, deposit.text
    spec = client.put(
        f"/v1/accounts/{futures}/contract-specs/MES",
        json={"root": "MES", "point_value": "5", "tick_size": "0.25", "exchange": "CME"},
        headers=headers,
    )
    assert spec.status_code == 200, spec.text
    assert save(client, trader).status_code == 201
    plan = {"rules": [{"name": "small", "params": {"kind": "max_position_size", "quantity": "5"}}]}
    assert client.put("/v1/plan", json=plan, headers=headers).status_code == 200
    plan["rules"].append(
        {"name": "two a day", "params": {"kind": "max_trades_per_day", "count": 2}}
    )
    assert client.put("/v1/plan", json=plan, headers=headers).status_code == 200
    backdate_plan(session, trader)
    job = upload(client, trader, CSV, format="generic_csv").json()
    outcome = client.post(
        f"/internal/users/{trader.id}/imports/{job['id']}/outcome",
        json={
            "status": "completed",
            "counts": {"new": 4, "duplicate": 0, "rejected": 1},
            "rejected_rows": [{"file": "a.csv", "line": 3, "field": "qty", "reason": "empty"}],
        },
        headers=workers,
    )
    assert outcome.status_code == 204, outcome.text
    batch(
        client,
        workers,
        trader,
        main,
        [
            # A generic CSV's rows have no broker id: the importer sends a fingerprint.
            without_id(execution("a1", "buy", "10", "100", "2026-03-02T15:00:00Z")),
            execution("a2", "sell", "10", "104.5", "2026-03-02T16:00:00Z", open_close="close"),
            # Crosses zero: closes a long, opens a short.
            without_id(execution("a3", "buy", "3", "101", "2026-03-03T10:00:00-05:00")),
            execution("a4", "sell", "5", "102", "2026-03-03T15:30:00Z", commission="1.25"),
            execution("a5", "buy", "2", "99", "2026-03-03T16:00:00Z"),
        ],
        import_id=job["id"],
    )
    batch(
        client,
        workers,
        trader,
        main,
        [
            execution("o1", "buy", "2", "3.10", "2026-03-04T15:00:00Z", instrument=OPTION),
            execution("o2", "sell", "2", "4.05", "2026-03-05T15:00:00Z", instrument=OPTION),
        ],
    )
    batch(
        client,
        workers,
        trader,
        futures,
        [
            execution("f1", "sell", "2", "5000", "2026-03-04T08:00:00-06:00", instrument=FUTURE),
            execution("f2", "buy", "2", "4990.25", "2026-03-04T14:45:00Z", instrument=FUTURE),
            execution("f3", "buy", "1", "4995", "2026-03-06T14:00:00Z", instrument=FUTURE),
        ],
    )
    schedule = client.put(
        f"/v1/accounts/{futures}/fee-schedule",
        json={
            "rules": [
                {"asset_class": "future", "root": "mes", "per_contract": "0.62"},
                {"asset_class": "future", "per_contract": "1.5", "minimum": "2"},
            ]
        },
        headers=headers,
    )
    assert schedule.status_code == 200, schedule.text
    manual = client.post(
        "/v1/executions",
        json={
            "account_id": main,
            "executed_at": "2026-03-09T15:00:00Z",
            "instrument": {"asset_class": "stock", "symbol": "MSFT"},
            "side": "buy",
            "quantity": "4",
            "price": "410.5",
            "note": "entered by hand",
        },
        headers=headers,
    )
    assert manual.status_code == 201, manual.text
    positions = client.get("/v1/positions?sort=opened_at", headers=headers).json()["items"]
    first = positions[0]
    opening = client.get(f"/v1/positions/{first['id']}", headers=headers).json()["executions"][0]
    edited = client.patch(
        f"/v1/executions/{opening['id']}", json={"commission": "0.35"}, headers=headers
    )
    assert edited.status_code == 200, edited.text
    for stop in ("98", "99"):
        patched = client.patch(
            f"/v1/positions/{first['id']}",
            json={"initial_stop": stop, "tags": ["Breakout", "fomo"]},
            headers=headers,
        )
        assert patched.status_code == 200, patched.text
    playbook = client.post(
        "/v1/playbooks",
        json={
            "name": "ORB",
            "criteria": [{"text": "Above VWAP"}, {"text": "Volume 2x"}],
            "default_stop": {"kind": "percent", "distance": "0.5"},
        },
        headers=headers,
    ).json()
    followed = client.put(
        f"/v1/positions/{first['id']}/playbook",
        json={"playbook_id": playbook["id"], "criteria_met": [playbook["criteria"][1]["id"]]},
        headers=headers,
    )
    assert followed.status_code == 200, followed.text
    excursions = client.put(
        f"/internal/users/{trader.id}/positions/{first['id']}/excursions",
        json=EXCURSIONS,
        headers=workers,
    )
    assert excursions.status_code == 204, excursions.text
    entry = client.post(
        "/v1/journal/entries",
        json={
            "position_id": first["id"],
            "body": "Waited for the *break*.",
            "mood": 4,
            "tags": ["patience"],
        },
        headers=headers,
    ).json()
    client.post(
        "/v1/journal/entries", json={"day": "2026-03-03", "body": "=1+1 chased"}, headers=headers
    )
    for owner in (f"/v1/journal/entries/{entry['id']}", f"/v1/positions/{positions[1]['id']}"):
        attached = client.post(
            f"{owner}/attachments",
            files={"file": ("chart.png", png(40, 30), "image/png")},
            headers=headers,
        )
        assert attached.status_code == 201, attached.text
    coach = service_headers(client, "ai-coach")
    insight = client.post(
        f"/internal/users/{trader.id}/insights",
        json={
            **INSIGHT,
            "evidence": {"metrics": {}, "sample_size": 1, "position_ids": [first["id"]]},
        },
        headers=coach,
    ).json()
    assert store(client, trader.id, review(insight_ids=[insight["id"]])).status_code == 201


def export(client: TestClient, trader: Trader) -> zipfile.ZipFile:
    response = client.get("/v1/export", headers=trader.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"].startswith('attachment; filename="tradeloop-')
    return zipfile.ZipFile(io.BytesIO(response.content))


def restore(client: TestClient, trader: Trader, data: bytes) -> Any:
    return client.post(
        "/v1/import-archive",
        files={"file": ("archive.zip", data, "application/zip")},
        headers=trader.headers,
    )


def contents(archive: zipfile.ZipFile) -> list[tuple[str, Any]]:
    """Every file in manifest order, each id replaced by the order it first appears in."""
    manifest = json.loads(archive.read("manifest.json"))
    seen: dict[str, str] = {}

    def normal(text: str) -> str:
        return UUID.sub(lambda match: seen.setdefault(match[0], f"<id {len(seen)}>"), text)

    files: list[tuple[str, Any]] = []
    for file in manifest["files"]:
        data = archive.read(file["name"])
        assert hashlib.sha256(data).hexdigest() == file["sha256"]
        if file["name"].endswith(".jsonl"):
            lines = data.decode().splitlines()
            assert len(lines) == file["records"]
            body: Any = [json.loads(normal(line)) for line in lines]
        elif file["name"].endswith(".csv"):
            body = list(csv.reader(io.StringIO(normal(data.decode()))))
        else:
            body = hashlib.sha256(data).hexdigest()
        files.append((normal(file["name"]), body))
    return files


def records(archive: zipfile.ZipFile, name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in archive.read(name).decode().splitlines()]


def rewritten(archive: zipfile.ZipFile, name: str, content: bytes) -> bytes:
    """The archive with one file's content replaced and the manifest telling the truth."""
    manifest = json.loads(archive.read("manifest.json"))
    for file in manifest["files"]:
        if file["name"] == name:
            file["sha256"] = hashlib.sha256(content).hexdigest()
            file["records"] = len(content.splitlines())
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for info in archive.infolist():
            if info.filename == "manifest.json":
                out.writestr(info.filename, json.dumps(manifest))
            else:
                out.writestr(
                    info.filename, content if info.filename == name else archive.read(info)
                )
    return buffer.getvalue()


@pytest.fixture
def exported(
    client: TestClient, workers: dict[str, str], session: Session, trader: Trader
) -> zipfile.ZipFile:
    rich_account(client, workers, session, trader)
    return export(client, trader)


class TestRoundTrip:
    def test_an_archive_restored_into_a_new_trader_exports_the_same_contents(
        self, client: TestClient, exported: zipfile.ZipFile, trader: Trader
    ) -> None:
        fresh = make_trader(client)
        response = restore(client, fresh, _bytes(exported))
        assert response.status_code == 200, response.text
        assert response.json()["restored"] == {
            "tags": len(records(exported, "tags.jsonl")),
            "accounts": 2,
            "cash_movements": 1,
            "playbooks": 1,
            "contract_specs": 1,
            "fee_schedules": 1,
            "column_mappings": 1,
            "imports": 1,
            "executions": 11,
            "positions": 7,
            "journal_entries": 2,
            "attachments": 2,
            "plan_versions": 2,
            "violations": len(records(exported, "violations.jsonl")),
            "insights": 1,
            "weekly_reviews": 1,
        }
        again = export(client, fresh)
        assert contents(again) == contents(exported)
        # What matching builds from the restored fills is what the trader had.
        assert records(again, "positions.jsonl") != []
        assert [p["realised_pnl_net"] for p in records(again, "positions.jsonl")] == [
            p["realised_pnl_net"] for p in records(exported, "positions.jsonl")
        ]
        mine = client.get("/v1/positions", headers=trader.headers).json()["items"]
        theirs = client.get("/v1/positions", headers=fresh.headers).json()["items"]
        assert [(p["instrument"]["symbol"], p["realised_pnl_net"]) for p in theirs] == [
            (p["instrument"]["symbol"], p["realised_pnl_net"]) for p in mine
        ]
        assert (
            client.get("/v1/statistics", headers=fresh.headers).json()
            == client.get("/v1/statistics", headers=trader.headers).json()
        )
        # The playbook's ticks and the account's money came back with new ids.
        [followed] = [p for p in theirs if p["playbook"] is not None]
        [playbook] = client.get("/v1/playbooks", headers=fresh.headers).json()["items"]
        assert followed["playbook"]["criteria_met"] == [playbook["criteria"][1]["id"]]
        assert (playbook["positions"], playbook["adherence_rate"]) == (1, "0.5000")
        assert playbook["default_stop"] == {"kind": "percent", "distance": "0.5"}
        futures = next(
            a
            for a in client.get("/v1/accounts", headers=fresh.headers).json()["items"]
            if a["name"] == "Futures"
        )
        assert (futures["starting_balance"], futures["risk_unit"]) == ("50000", "250")
        assert futures["default_stop"] == {"kind": "ticks", "distance": "8"}
        # Stops and where they came from: the rule's stay the rule's, the trader's the trader's.
        assert sorted((p["stop_source"] or "", p["initial_stop"] or "") for p in theirs) == sorted(
            (p["stop_source"] or "", p["initial_stop"] or "") for p in mine
        )
        assert {p["stop_source"] for p in theirs} == {"trader", "default_rule", None}
        balance = client.get(f"/v1/accounts/{futures['id']}/balance", headers=fresh.headers)
        [mine_futures] = [
            a
            for a in client.get("/v1/accounts", headers=trader.headers).json()["items"]
            if a["name"] == "Futures"
        ]
        original = client.get(f"/v1/accounts/{mine_futures['id']}/balance", headers=trader.headers)
        assert balance.json()["balance"] == original.json()["balance"]
        assert Decimal(balance.json()["cash_movements"]) == Decimal("-1500")
        schedules = [
            client.get(f"/v1/accounts/{a['id']}/fee-schedule", headers=who.headers).json()
            for a, who in ((futures, fresh), (mine_futures, trader))
        ]
        assert schedules[0]["rules"] == schedules[1]["rules"] != []
        assert schedules[0]["rules"][0]["root"] == "MES"
        assert schedules[0]["updated_at"] == schedules[1]["updated_at"]

    def test_the_archive_holds_every_kind_with_csv_for_the_tables(
        self, exported: zipfile.ZipFile
    ) -> None:
        names = exported.namelist()
        for name in ("executions", "positions", "journal_entries"):
            assert f"{name}.jsonl" in names
            assert f"{name}.csv" in names
        assert any(re.fullmatch(r"imports/[0-9a-f-]+/march_trades\.csv", n) for n in names)
        raw = next(n for n in names if n.startswith("imports/"))
        assert exported.read(raw) == CSV
        assert len([n for n in names if n.startswith("attachments/")]) == 2
        manifest = json.loads(exported.read("manifest.json"))
        assert (manifest["format"], manifest["format_version"]) == ("tradeloop-archive", 1)
        assert manifest["contracts_version"] == tradeloop_contracts.__version__
        rows = list(csv.DictReader(io.StringIO(exported.read("executions.csv").decode())))
        assert rows[0]["instrument.symbol"] == "AAPL"
        assert rows[0]["price"] == "100"
        journal = list(csv.DictReader(io.StringIO(exported.read("journal_entries.csv").decode())))
        # A spreadsheet does not run a cell that starts like a formula.
        assert "'=1+1 chased" in [row["body"] for row in journal]
        [future] = [
            p
            for p in records(exported, "positions.jsonl")
            if p["instrument"]["symbol"] == "MESH6" and p["status"] == "closed"
        ]
        assert future["realised_pnl_gross"] == "97.5"
        [stopped] = [p for p in records(exported, "positions.jsonl") if p["stops"]]
        assert [s["stop"] for s in stopped["stops"]] == ["98", "99"]

    def test_fills_keep_their_identity_open_close_offset_and_edits(
        self, client: TestClient, exported: zipfile.ZipFile
    ) -> None:
        fills = {
            fill["broker_execution_id"] or fill["fingerprint"]: fill
            for fill in records(exported, "executions.jsonl")
        }
        assert (fills["fp-a1"]["broker_execution_id"], fills["fp-a1"]["open_close"]) == (
            None,
            None,
        )
        assert (fills["a2"]["fingerprint"], fills["a2"]["open_close"]) == (None, "close")
        # Each time at the offset its source reported it in.
        assert fills["fp-a3"]["executed_at"] == "2026-03-03T10:00:00-05:00"
        assert fills["f1"]["executed_at"] == "2026-03-04T08:00:00-06:00"
        assert fills["a2"]["executed_at"] == "2026-03-02T16:00:00Z"
        assert fills["fp-a1"]["edits"] == [
            {"field": "commission", "original": "0", "value": "0.35"}
        ]
        [manual] = [f for f in fills.values() if f["source"] == "manual"]
        assert re.fullmatch(r"manual:[0-9a-f-]{36}", manual["fingerprint"])
        positions = records(exported, "positions.jsonl")
        [opening] = [e for p in positions for e in p["executions"] if e["fingerprint"] == "fp-a1"]
        assert (opening["edits"], opening["executed_at"]) == (
            fills["fp-a1"]["edits"],
            fills["fp-a1"]["executed_at"],
        )
        # Restored: the same identities, so the trader's layer and re-imports find them.
        fresh = make_trader(client)
        assert restore(client, fresh, _bytes(exported)).status_code == 200
        restored = export(client, fresh)
        again = {
            fill["broker_execution_id"] or fill["fingerprint"]: fill
            for fill in records(restored, "executions.jsonl")
        }
        assert again.keys() == fills.keys()
        for key, fill in fills.items():
            for field in ("fingerprint", "open_close", "executed_at", "edits", "fee_source"):
                assert again[key][field] == fill[field], (key, field)

    def test_no_secret_is_in_the_archive(
        self,
        client: TestClient,
        workers: dict[str, str],
        session: Session,
        trader: Trader,
    ) -> None:
        rich_account(client, workers, session, trader)
        assert connect(client, trader).status_code == 201
        token = client.post(
            "/v1/api-tokens", json={"name": "cli", "scopes": ["read"]}, headers=trader.headers
        ).json()["token"]
        password_hash = session.scalars(
            select(UserRecord.password_hash).where(UserRecord.id == trader.id)
        ).one()
        archive = export(client, trader)
        everything = b"".join(archive.read(name) for name in archive.namelist())
        for secret in (
            SECRET,
            token,
            password_hash,
            trader.token,
            trader.refresh_token,
            "88881234",
        ):
            assert secret.encode() not in everything
        assert b"****1234" in everything


GENERIC = (
    b"date,symbol,side,qty,price\n"
    b"2026-03-02T10:00:00-05:00,AAPL,BUY,10,187.12\n"
    b"2026-03-02T11:00:00-05:00,AAPL,SELL,10,188.40\n"
    b"2026-03-02T11:00:00-05:00,AAPL,SELL,10,188.40\n"
)
# The rows of GENERIC as an importer sends them: no broker id, a fingerprint per row.
GENERIC_FILLS = [
    without_id(execution("r2", "buy", "10", "187.12", "2026-03-02T10:00:00-05:00")),
    without_id(execution("r3", "sell", "10", "188.40", "2026-03-02T11:00:00-05:00")),
    without_id(execution("r4", "sell", "10", "188.40", "2026-03-02T11:00:00-05:00")),
]


def imported_file(
    client: TestClient, workers: dict[str, str], trader: Trader, account_id: str
) -> dict[str, Any]:
    """GENERIC imported into the account; the batch's result."""
    job = client.post(
        "/v1/imports",
        files={"file": ("generic.csv", GENERIC, "text/csv")},
        data={"account_id": account_id, "format": "generic_csv"},
        headers=trader.headers,
    ).json()
    response = client.post(
        f"/internal/users/{trader.id}/executions/batch",
        json={"account_id": account_id, "import_id": job["id"], "executions": GENERIC_FILLS},
        headers=workers,
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    outcome = client.post(
        f"/internal/users/{trader.id}/imports/{job['id']}/outcome",
        json={
            "status": "completed",
            "counts": {"new": result["inserted"], "duplicate": result["duplicates"], "rejected": 0},
        },
        headers=workers,
    )
    assert outcome.status_code == 204, outcome.text
    return result


def positions_of(client: TestClient, trader: Trader) -> list[tuple[Any, ...]]:
    items = client.get("/v1/positions", headers=trader.headers).json()["items"]
    return [(p["direction"], p["status"], p["realised_pnl_net"]) for p in items]


class TestReimportAfterRestore:
    def test_the_same_file_imported_into_the_restored_account_adds_nothing(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        assert imported_file(client, workers, trader, str(trader.account_id)) == {
            "inserted": 3,
            "duplicates": 0,
        }
        fresh = make_trader(client)
        assert restore(client, fresh, _bytes(export(client, trader))).status_code == 200
        [account] = client.get("/v1/accounts", headers=fresh.headers).json()["items"]
        before = positions_of(client, fresh)
        assert before == positions_of(client, trader)
        assert imported_file(client, workers, fresh, account["id"]) == {
            "inserted": 0,
            "duplicates": 3,
        }
        assert positions_of(client, fresh) == before

    def test_an_archive_written_before_fills_showed_their_identity_still_restores(
        self, client: TestClient, exported: zipfile.ZipFile
    ) -> None:
        def older(name: str) -> bytes:
            lines = []
            for record in records(exported, name):
                for fill in record.get("executions", [record]):
                    del fill["fingerprint"], fill["open_close"]
                lines.append(json.dumps(record).encode() + b"\n")
            return b"".join(lines)

        archive = zipfile.ZipFile(
            io.BytesIO(rewritten(exported, "executions.jsonl", older("executions.jsonl")))
        )
        archive = zipfile.ZipFile(
            io.BytesIO(rewritten(archive, "positions.jsonl", older("positions.jsonl")))
        )
        fresh = make_trader(client)
        response = restore(client, fresh, _bytes(archive))
        assert response.status_code == 200, response.text
        fills = records(export(client, fresh), "executions.jsonl")
        assert len(fills) == 11
        # A fill entered by hand gets a fingerprint of its own; others have none to get.
        assert {f["source"]: f["fingerprint"] for f in fills if f["fingerprint"]}.keys() == {
            "manual"
        }
        assert [f["open_close"] for f in fills] == [None] * 11


class TestRefusals:
    def test_an_account_that_holds_data_is_not_restored_into(
        self, client: TestClient, exported: zipfile.ZipFile, trader: Trader
    ) -> None:
        response = restore(client, trader, _bytes(exported))
        assert response.status_code == 409
        assert "holds executions, imports, journal entries" in response.json()["detail"]

    @pytest.mark.parametrize(
        ("path", "body", "held"),
        [
            ("/v1/playbooks", {"name": "Gap and go"}, "playbooks"),
            (
                "/v1/accounts/{account}/cash-movements",
                {"occurred_at": "2026-03-02T14:00:00Z", "amount": "500"},
                "cash movements",
            ),
        ],
    )
    def test_an_account_with_only_settings_of_its_own_is_not_restored_into(
        self,
        client: TestClient,
        exported: zipfile.ZipFile,
        path: str,
        body: dict[str, Any],
        held: str,
    ) -> None:
        fresh = make_trader(client)
        made = client.post(path.format(account=fresh.account_id), json=body, headers=fresh.headers)
        assert made.status_code == 201, made.text
        response = restore(client, fresh, _bytes(exported))
        assert response.status_code == 409
        assert response.json()["detail"].endswith(
            f"holds {held}. Restore into a new account instead."
        )

    def test_an_account_with_a_fee_schedule_is_not_restored_into(
        self, client: TestClient, exported: zipfile.ZipFile
    ) -> None:
        fresh = make_trader(client)
        rule = {"asset_class": "future", "per_contract": "2.25"}
        saved = client.put(
            f"/v1/accounts/{fresh.account_id}/fee-schedule",
            json={"rules": [rule]},
            headers=fresh.headers,
        )
        assert saved.status_code == 200, saved.text
        response = restore(client, fresh, _bytes(exported))
        assert response.status_code == 409
        assert "holds fee schedules" in response.json()["detail"]

    def test_a_bad_record_is_named_by_file_record_and_field_and_nothing_is_kept(
        self, app: FastAPI, client: TestClient, exported: zipfile.ZipFile
    ) -> None:
        fresh = make_trader(client)
        lines = exported.read("journal_entries.jsonl").splitlines()
        broken = json.loads(lines[1])
        broken["mood"] = "great"
        content = b"\n".join([lines[0], json.dumps(broken).encode()]) + b"\n"
        response = restore(client, fresh, rewritten(exported, "journal_entries.jsonl", content))
        assert response.status_code == 422, response.text
        [error] = response.json()["errors"]
        assert error["location"] == "journal_entries.jsonl:2:mood"
        # All or nothing: the fresh account is as it was, no file stays stored.
        assert [
            a["name"] for a in client.get("/v1/accounts", headers=fresh.headers).json()["items"]
        ] == ["Main"]
        assert client.get("/v1/positions", headers=fresh.headers).json()["items"] == []
        assert list(obstore.list(app.state.core.store, f"imports/{fresh.id}/")) == []
        assert list(obstore.list(app.state.core.store, f"attachments/{fresh.id}/")) == []

    def test_a_record_the_database_refuses_is_named_by_its_file(
        self, client: TestClient, exported: zipfile.ZipFile
    ) -> None:
        fresh = make_trader(client)
        [mapping] = records(exported, "column_mappings.jsonl")
        twin = {**mapping, "id": str(uuid.uuid4())}
        content = b"".join(json.dumps(m).encode() + b"\n" for m in (mapping, twin))
        response = restore(client, fresh, rewritten(exported, "column_mappings.jsonl", content))
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["location"] == "column_mappings"
        assert client.get("/v1/positions", headers=fresh.headers).json()["items"] == []

    def test_a_fee_schedule_core_would_refuse_is_named_by_its_rule(
        self, client: TestClient, exported: zipfile.ZipFile
    ) -> None:
        fresh = make_trader(client)
        [schedule] = records(exported, "fee_schedules.jsonl")
        schedule["rules"][0]["root"] = "MESZ6"
        content = json.dumps(schedule).encode() + b"\n"
        response = restore(client, fresh, rewritten(exported, "fee_schedules.jsonl", content))
        assert response.status_code == 422, response.text
        [error] = response.json()["errors"]
        assert error["location"] == "fee_schedules.jsonl:1:rules.0.root"
        assert "contract month" in error["message"]

    def test_a_changed_file_fails_its_checksum(
        self, client: TestClient, exported: zipfile.ZipFile
    ) -> None:
        fresh = make_trader(client)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as out:
            for info in exported.infolist():
                data = exported.read(info)
                out.writestr(
                    info.filename,
                    data.replace(b'"100"', b'"1"') if info.filename == "executions.jsonl" else data,
                )
        response = restore(client, fresh, buffer.getvalue())
        assert response.status_code == 422
        assert response.json()["errors"] == [
            {
                "location": "executions.jsonl",
                "message": "does not match its SHA-256 in manifest.json",
            }
        ]

    @pytest.mark.parametrize(
        ("manifest", "location"),
        [
            (None, "manifest.json"),
            (
                {
                    "format": "tradeloop-archive",
                    "format_version": 2,
                    "contracts_version": "1.4.0",
                    "exported_at": "2026-03-02T18:00:00Z",
                    "files": [],
                },
                "manifest.json:format_version",
            ),
            ({"format": "other", "format_version": 1}, "manifest.json:format"),
        ],
    )
    def test_a_missing_or_foreign_manifest_is_refused(
        self, client: TestClient, trader: Trader, manifest: Any, location: str
    ) -> None:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as out:
            out.writestr("tags.jsonl", b"")
            if manifest is not None:
                out.writestr("manifest.json", json.dumps(manifest))
        response = restore(client, trader, buffer.getvalue())
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["location"] == location

    def test_a_file_that_is_not_a_zip_is_refused(self, client: TestClient, trader: Trader) -> None:
        response = restore(client, trader, b"date,symbol\n")
        assert response.status_code == 422
        assert response.json()["errors"] == [
            {"location": "file", "message": "is not a zip archive"}
        ]


def _bytes(archive: zipfile.ZipFile) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for info in archive.infolist():
            out.writestr(info.filename, archive.read(info))
    return buffer.getvalue()


@pytest.fixture
def small_app(
    database_url: str, tmp_path: Path, sessions: sessionmaker[Session]
) -> Iterator[FastAPI]:
    app = create_app(
        Settings(database_url=database_url, data_dir=tmp_path, max_upload_bytes=1000),
        sessions=sessions,
    )
    yield app
    app.state.core.engine.dispose()


class TestSizeLimit:
    def test_an_archive_over_the_upload_limit_gets_413(self, small_app: FastAPI) -> None:
        with TestClient(small_app, raise_server_exceptions=False) as client:
            trader = make_trader(client)
            response = restore(client, trader, uuid.uuid4().bytes * 100)
            assert response.status_code == 413
            assert response.headers["content-type"] == "application/problem+json"
