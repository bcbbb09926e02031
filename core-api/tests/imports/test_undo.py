"""Undoing an import removes exactly the executions only it brought and rebuilds the rest."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from core_api.executions.models import ExecutionRecord
from tests.conftest import Trader, assert_valid_event, events_of, execution, make_trader
from tests.imports.test_endpoints import upload
from tests.imports.test_settle import ROUND_TRIPS, post_batch, report
from tests.mappings.test_endpoints import MAPPING, waiting_import
from tests.plans.test_endpoints import MAX_ONE_TRADE, MONDAY, backdate_plan, put_plan, round_trip

# A and B share a2, m1 and m2: a1 is A's alone, a3 and a4 are B's alone.
FILE_A = ROUND_TRIPS[:4]
FILE_B = [*ROUND_TRIPS[1:], execution("a4", "sell", "10", "13", "2026-03-05T15:00:00Z")]


def imported(
    client: TestClient, workers: dict[str, str], trader: Trader, fills: list[dict[str, Any]]
) -> str:
    """The id of a completed import that brought `fills`."""
    job = upload(client, trader).json()
    post_batch(client, workers, trader, job["id"], fills)
    report(client, workers, trader, job["id"], {"status": "completed", "counts": {}})
    import_id: str = job["id"]
    return import_id


def undo(client: TestClient, trader: Trader, import_id: str, dry_run: bool = False) -> Any:
    return client.post(
        f"/v1/imports/{import_id}/undo",
        params={"dry_run": str(dry_run).lower()},
        headers=trader.headers,
    )


def held(session: Session, trader: Trader) -> dict[str | None, str | None]:
    """Each of the trader's executions by broker id, with the import it is credited to."""
    rows = session.execute(
        select(ExecutionRecord.broker_execution_id, ExecutionRecord.import_id).where(
            ExecutionRecord.user_id == trader.id
        )
    )
    return {broker_id: str(import_id) if import_id else None for broker_id, import_id in rows}


def snapshot(client: TestClient, trader: Trader) -> tuple[list[tuple[Any, ...]], Any]:
    """The trader's positions (without ids) and statistics, as the pages show them."""
    items = client.get("/v1/positions", headers=trader.headers).json()["items"]
    positions = sorted(
        (
            p["instrument"]["symbol"],
            p["status"],
            p["opened_at"],
            p["closed_at"],
            p["open_quantity"],
            p["realised_pnl_net"],
            p["execution_count"],
        )
        for p in items
    )
    return positions, client.get("/v1/statistics", headers=trader.headers).json()


class TestUndo:
    def test_overlapping_imports_each_remove_only_what_no_other_brought(
        self, client: TestClient, workers: dict[str, str], trader: Trader, session: Session
    ) -> None:
        first = imported(client, workers, trader, FILE_A)
        second = imported(client, workers, trader, FILE_B)

        response = undo(client, trader, first)

        assert response.status_code == 200, response.text
        assert response.json() == {
            "import_id": first,
            "dry_run": False,
            "executions_removed": 1,
            "executions_kept": 3,
            # AAPL's positions from a1 on: the round trip a1-a2 and a3-a4.
            "positions_affected": 2,
        }
        assert held(session, trader) == dict.fromkeys(["a2", "m1", "m2", "a3", "a4"], second)
        fresh = make_trader(client)
        imported(client, workers, fresh, FILE_B)
        assert snapshot(client, trader) == snapshot(client, fresh)

        response = undo(client, trader, second)

        assert response.json()["executions_removed"] == 5
        assert response.json()["executions_kept"] == 0
        assert held(session, trader) == {}
        positions, statistics = snapshot(client, trader)
        assert positions == []
        assert statistics["trades"] == 0

    def test_the_later_import_undone_first_keeps_what_the_earlier_brought(
        self, client: TestClient, workers: dict[str, str], trader: Trader, session: Session
    ) -> None:
        first = imported(client, workers, trader, FILE_A)
        second = imported(client, workers, trader, FILE_B)

        body = undo(client, trader, second).json()

        assert (body["executions_removed"], body["executions_kept"]) == (2, 0)
        assert held(session, trader) == dict.fromkeys(["a1", "a2", "m1", "m2"], first)
        fresh = make_trader(client)
        imported(client, workers, fresh, FILE_A)
        assert snapshot(client, trader) == snapshot(client, fresh)
        # B's notes of what it matched went with it: A alone brought those now.
        assert undo(client, trader, first).json()["executions_removed"] == 4

    def test_a_dry_run_counts_and_changes_nothing(
        self, client: TestClient, workers: dict[str, str], trader: Trader, session: Session
    ) -> None:
        first = imported(client, workers, trader, FILE_A)
        imported(client, workers, trader, FILE_B)
        before = (snapshot(client, trader), held(session, trader))

        response = undo(client, trader, first, dry_run=True)

        assert response.status_code == 200, response.text
        assert response.json() == {
            "import_id": first,
            "dry_run": True,
            "executions_removed": 1,
            "executions_kept": 3,
            "positions_affected": 2,
        }
        assert (snapshot(client, trader), held(session, trader)) == before
        assert (
            client.get(f"/v1/imports/{first}", headers=trader.headers).json()["undone_at"] is None
        )
        assert events_of(session, trader.id, "import.undone.v1") == []

    def test_undo_marks_the_import_keeps_its_file_and_announces_itself(
        self, client: TestClient, workers: dict[str, str], trader: Trader, session: Session
    ) -> None:
        import_id = imported(client, workers, trader, ROUND_TRIPS)

        undo(client, trader, import_id)

        job = client.get(f"/v1/imports/{import_id}", headers=trader.headers).json()
        assert job["undone_at"] is not None
        [listed] = client.get("/v1/imports", headers=trader.headers).json()["items"]
        assert listed["undone_at"] == job["undone_at"]
        raw = client.get(f"/v1/imports/{import_id}/raw", headers=trader.headers)
        assert raw.status_code == 200
        [event] = events_of(session, trader.id, "import.undone.v1")
        assert_valid_event(event)
        assert event["data"] == {
            "user_id": str(trader.id),
            "import_id": import_id,
            "account_id": str(trader.account_id),
            "executions_removed": 5,
        }

    def test_fills_no_import_brought_stay(
        self, client: TestClient, workers: dict[str, str], trader: Trader, session: Session
    ) -> None:
        synced = [execution("s1", "buy", "5", "9", "2026-03-01T15:00:00Z")]
        post_batch(client, workers, trader, None, synced)
        import_id = imported(client, workers, trader, ROUND_TRIPS)

        assert undo(client, trader, import_id).json()["executions_removed"] == 5

        assert held(session, trader) == {"s1": None}
        fresh = make_trader(client)
        post_batch(client, workers, fresh, None, synced)
        assert snapshot(client, trader) == snapshot(client, fresh)

    def test_fills_a_broker_sync_also_brought_stay_credited_to_the_sync(
        self, client: TestClient, workers: dict[str, str], trader: Trader, session: Session
    ) -> None:
        import_id = imported(client, workers, trader, ROUND_TRIPS)
        synced = ROUND_TRIPS[:2]
        assert post_batch(client, workers, trader, None, synced)["duplicates"] == 2

        dry_run = undo(client, trader, import_id, dry_run=True).json()
        assert (dry_run["executions_removed"], dry_run["executions_kept"]) == (3, 2)
        body = undo(client, trader, import_id).json()

        assert (body["executions_removed"], body["executions_kept"]) == (3, 2)
        assert held(session, trader) == {"a1": None, "a2": None}
        sources = session.scalars(
            select(ExecutionRecord.source).where(ExecutionRecord.user_id == trader.id)
        ).all()
        assert sources == ["broker", "broker"]
        fresh = make_trader(client)
        post_batch(client, workers, fresh, None, synced)
        assert snapshot(client, trader) == snapshot(client, fresh)

    def test_an_edited_fill_is_removed_and_comes_back_edited_with_its_file(
        self, client: TestClient, workers: dict[str, str], trader: Trader, session: Session
    ) -> None:
        import_id = imported(client, workers, trader, ROUND_TRIPS)
        fill_id = session.scalars(
            select(ExecutionRecord.id).where(ExecutionRecord.broker_execution_id == "a1")
        ).one()
        edited = client.patch(
            f"/v1/executions/{fill_id}", json={"price": "9.5"}, headers=trader.headers
        )
        assert edited.status_code == 200, edited.text

        assert undo(client, trader, import_id, dry_run=True).json()["executions_removed"] == 5
        assert undo(client, trader, import_id).json()["executions_removed"] == 5

        assert held(session, trader) == {}
        imported(client, workers, trader, ROUND_TRIPS)
        [position] = [
            p
            for p in client.get("/v1/positions", headers=trader.headers).json()["items"]
            if p["opened_at"] == "2026-03-02T15:00:00Z"
        ]
        detail = client.get(f"/v1/positions/{position['id']}", headers=trader.headers).json()
        [entry] = [e for e in detail["executions"] if e["broker_execution_id"] == "a1"]
        assert (entry["price"], entry["edits"]) == (
            "9.5",
            [{"field": "price", "original": "10", "value": "9.5"}],
        )

    def test_the_same_file_imported_again_brings_the_fills_back(
        self, client: TestClient, workers: dict[str, str], trader: Trader, session: Session
    ) -> None:
        before = snapshot(client, trader)
        undo(client, trader, imported(client, workers, trader, ROUND_TRIPS))
        again = imported(client, workers, trader, ROUND_TRIPS)

        assert held(session, trader) == dict.fromkeys(["a1", "a2", "m1", "m2", "a3"], again)
        fresh = make_trader(client)
        imported(client, workers, fresh, ROUND_TRIPS)
        assert snapshot(client, trader) == snapshot(client, fresh) != before

    def test_a_running_or_undone_import_is_refused(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        running = upload(client, trader).json()["id"]
        post_batch(client, workers, trader, running, ROUND_TRIPS)
        done = imported(client, workers, trader, [])
        undo(client, trader, done)

        for import_id, detail in (
            (running, "The import is still running; undo it once it finished."),
            (done, "The import was already undone."),
        ):
            for dry_run in (True, False):
                response = undo(client, trader, import_id, dry_run)
                assert response.status_code == 409
                assert response.json()["detail"] == detail

    def test_a_bad_dry_run_names_the_parameter(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        import_id = imported(client, workers, trader, ROUND_TRIPS)

        response = client.post(
            f"/v1/imports/{import_id}/undo?dry_run=maybe", headers=trader.headers
        )

        assert response.status_code == 422
        assert [error["location"] for error in response.json()["errors"]] == ["query.dry_run"]

    def test_an_undone_import_waiting_for_its_columns_waits_no_more(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        import_id = waiting_import(client, trader, workers)

        body = undo(client, trader, import_id).json()

        assert (body["executions_removed"], body["positions_affected"]) == (0, 0)
        mapped = client.post(
            f"/v1/imports/{import_id}/mapping", json=MAPPING, headers=trader.headers
        )
        assert mapped.status_code == 409
        job = client.get(f"/v1/imports/{import_id}", headers=trader.headers).json()
        assert (job["status"], job["undone_at"] is not None) == ("failed", True)

    def test_the_plan_is_judged_again_without_the_removed_trades(
        self, client: TestClient, workers: dict[str, str], trader: Trader, session: Session
    ) -> None:
        put_plan(client, trader, [MAX_ONE_TRADE])
        backdate_plan(session, trader)
        first = imported(client, workers, trader, round_trip("x", MONDAY, 1))
        imported(client, workers, trader, round_trip("y", MONDAY + dt.timedelta(hours=1), 1))
        [broken] = client.get("/v1/violations", headers=trader.headers).json()["items"]
        assert broken["rule_kind"] == "max_trades_per_day"

        undo(client, trader, first)

        # The later trade, still held, is the day's only one now.
        assert client.get("/v1/violations", headers=trader.headers).json()["items"] == []
        assert held(session, trader).keys() == {"y-in", "y-out"}
