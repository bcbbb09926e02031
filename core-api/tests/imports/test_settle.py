"""An import's batches are only stored; the import settles once, when its outcome comes."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session
from tradeloop_contracts import ExecutionBatch, ImportCounts, ImportOutcome

from core_api.accounts.models import AccountRecord
from core_api.app import create_app
from core_api.cli import migrate
from core_api.config import Settings
from core_api.db import make_engine, make_sessions
from core_api.executions.models import ExecutionRecord
from core_api.executions.service import record_batch
from core_api.imports.models import ImportRecord
from core_api.imports.service import record_outcome
from core_api.kit.offload import Offload
from core_api.outbox.models import OutboxRecord
from core_api.positions.models import PositionRecord
from tests.conftest import (
    Trader,
    assert_valid_event,
    events_of,
    execution,
    fresh_postgres_database,
    make_trader,
    service_headers,
)
from tests.imports.test_endpoints import upload
from tests.positions.test_incremental import histories, new_account

ROUND_TRIPS = [
    execution("a1", "buy", "100", "10", "2026-03-02T15:00:00Z"),
    execution("a2", "sell", "100", "11", "2026-03-02T15:30:00Z"),
    execution("m1", "sell", "50", "300", "2026-03-02T16:00:00Z", "MSFT"),
    execution("m2", "buy", "50", "290", "2026-03-03T15:00:00Z", "MSFT"),
    execution("a3", "buy", "10", "12", "2026-03-04T15:00:00Z"),
]
COMPLETED = {"status": "completed", "counts": {"new": 5}}


def post_batch(
    client: TestClient,
    workers: dict[str, str],
    trader: Trader,
    import_id: str | None,
    executions: list[dict[str, Any]],
) -> dict[str, Any]:
    response = client.post(
        f"/internal/users/{trader.id}/executions/batch",
        json={
            "account_id": str(trader.account_id),
            "import_id": import_id,
            "executions": executions,
        },
        headers=workers,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def report(
    client: TestClient,
    workers: dict[str, str],
    trader: Trader,
    import_id: str,
    outcome: dict[str, Any],
) -> None:
    url = f"/internal/users/{trader.id}/imports/{import_id}/outcome"
    response = client.post(url, json=outcome, headers=workers)
    assert response.status_code == 204, response.text


def positions(client: TestClient, trader: Trader) -> list[tuple[str, str, str]]:
    items = client.get("/v1/positions", headers=trader.headers).json()["items"]
    return sorted((p["instrument"]["symbol"], p["status"], p["realised_pnl_net"]) for p in items)


SETTLED = [("AAPL", "closed", "100"), ("AAPL", "open", "0"), ("MSFT", "closed", "500")]


class TestImportSettle:
    def test_batches_are_stored_and_settled_once_when_the_outcome_comes(
        self, client: TestClient, workers: dict[str, str], trader: Trader, session: Session
    ) -> None:
        job = upload(client, trader).json()
        assert post_batch(client, workers, trader, job["id"], ROUND_TRIPS[:3]) == {
            "inserted": 3,
            "duplicates": 0,
        }
        post_batch(client, workers, trader, job["id"], ROUND_TRIPS[3:])
        # Mid-way the trader's pages show what they showed before the import.
        assert positions(client, trader) == []
        assert events_of(session, trader.id, "executions.recorded.v1") == []

        report(client, workers, trader, job["id"], COMPLETED)

        assert positions(client, trader) == SETTLED
        [recorded] = events_of(session, trader.id, "executions.recorded.v1")
        assert (recorded["data"]["count"], recorded["data"]["symbols"]) == (5, ["AAPL", "MSFT"])
        assert recorded["data"]["import_id"] == job["id"]
        assert len(events_of(session, trader.id, "position.closed.v1")) == 2
        for event in (recorded, *events_of(session, trader.id, "import.completed.v1")):
            assert_valid_event(event)
        statistics = client.get("/v1/statistics", headers=trader.headers).json()
        assert statistics["trades"] == 2

    def test_a_repeated_outcome_settles_nothing_again(
        self, client: TestClient, workers: dict[str, str], trader: Trader, session: Session
    ) -> None:
        job = upload(client, trader).json()
        post_batch(client, workers, trader, job["id"], ROUND_TRIPS)
        report(client, workers, trader, job["id"], COMPLETED)
        before = events_by_type(session, trader.id)

        report(client, workers, trader, job["id"], COMPLETED)
        report(
            client, workers, trader, job["id"], {"status": "failed", "counts": {}, "error": "late"}
        )

        assert events_by_type(session, trader.id) == before
        assert positions(client, trader) == SETTLED

    def test_a_run_that_died_before_its_outcome_is_settled_by_the_next(
        self, client: TestClient, workers: dict[str, str], trader: Trader, session: Session
    ) -> None:
        job = upload(client, trader).json()
        # The first worker sent every batch, then was killed before reporting.
        post_batch(client, workers, trader, job["id"], ROUND_TRIPS[:2])
        post_batch(client, workers, trader, job["id"], ROUND_TRIPS[2:])
        # The event comes again; the second run finds everything stored already.
        assert post_batch(client, workers, trader, job["id"], ROUND_TRIPS)["duplicates"] == 5
        report(
            client, workers, trader, job["id"], {"status": "completed", "counts": {"duplicate": 5}}
        )

        assert positions(client, trader) == SETTLED
        [recorded] = events_of(session, trader.id, "executions.recorded.v1")
        assert recorded["data"]["count"] == 5

    def test_a_failed_import_settles_the_rows_it_stored(
        self, client: TestClient, workers: dict[str, str], trader: Trader, session: Session
    ) -> None:
        job = upload(client, trader).json()
        post_batch(client, workers, trader, job["id"], ROUND_TRIPS[:2])
        report(
            client,
            workers,
            trader,
            job["id"],
            {"status": "failed", "counts": {"new": 2}, "error": "core refused a batch"},
        )

        assert positions(client, trader) == [("AAPL", "closed", "100")]
        assert len(events_of(session, trader.id, "executions.recorded.v1")) == 1
        [failed] = events_of(session, trader.id, "import.failed.v1")
        assert failed["data"]["reason"] == "core refused a batch"

    def test_a_failed_all_or_nothing_import_keeps_nothing(
        self, client: TestClient, workers: dict[str, str], trader: Trader, session: Session
    ) -> None:
        job = upload(client, trader, mode="all_or_nothing").json()
        post_batch(client, workers, trader, job["id"], ROUND_TRIPS[:2])
        report(
            client,
            workers,
            trader,
            job["id"],
            {"status": "failed", "counts": {"new": 2}, "error": "core refused a batch"},
        )

        assert positions(client, trader) == []
        assert stored_executions(session, trader) == 0
        detail = client.get(f"/v1/imports/{job['id']}", headers=trader.headers).json()
        assert (detail["status"], detail["counts"]["new"]) == ("failed", 0)
        assert events_of(session, trader.id, "executions.recorded.v1") == []

    def test_a_failed_all_or_nothing_import_leaves_no_trace_in_positions_a_sync_settled(
        self, client: TestClient, workers: dict[str, str], trader: Trader, session: Session
    ) -> None:
        job = upload(client, trader, mode="all_or_nothing").json()
        post_batch(client, workers, trader, job["id"], ROUND_TRIPS[:1])
        # A broker sync of the account meanwhile settles its own fill and the import's.
        post_batch(client, workers, trader, None, ROUND_TRIPS[1:2])
        assert positions(client, trader) == [("AAPL", "closed", "100")]

        report(
            client,
            workers,
            trader,
            job["id"],
            {"status": "failed", "counts": {}, "error": "refused"},
        )

        assert positions(client, trader) == [("AAPL", "open", "0")]
        assert stored_executions(session, trader) == 1
        statistics = client.get("/v1/statistics", headers=trader.headers).json()
        assert statistics["trades"] == 0

    def test_a_batch_after_the_outcome_settles_on_its_own(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        job = upload(client, trader).json()
        post_batch(client, workers, trader, job["id"], ROUND_TRIPS[:1])
        report(client, workers, trader, job["id"], COMPLETED)
        post_batch(client, workers, trader, job["id"], ROUND_TRIPS[1:2])
        assert positions(client, trader) == [("AAPL", "closed", "100")]

    def test_another_trader_s_import_is_not_found(
        self,
        client: TestClient,
        workers: dict[str, str],
        trader: Trader,
        other_trader: Trader,
    ) -> None:
        job = upload(client, trader).json()
        url = f"/internal/users/{other_trader.id}/imports/{job['id']}/outcome"
        response = client.post(url, json=COMPLETED, headers=workers)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"


def events_by_type(session: Session, user_id: uuid.UUID) -> dict[str, int]:
    counts: dict[str, int] = {}
    for event_type in session.scalars(
        select(OutboxRecord.event_type).where(OutboxRecord.user_id == user_id)
    ):
        counts[event_type] = counts.get(event_type, 0) + 1
    return counts


def stored_executions(session: Session, trader: Trader) -> int:
    return len(
        session.scalars(
            select(ExecutionRecord.id).where(ExecutionRecord.user_id == trader.id)
        ).all()
    )


def position_state(session: Session, account: AccountRecord) -> list[tuple[Any, ...]]:
    """The account's positions as matching made them, without their ids."""
    return sorted(
        (
            p.symbol,
            p.status,
            p.opened_at,
            p.closed_at,
            p.open_quantity,
            p.max_quantity,
            p.avg_entry_price,
            p.avg_exit_price,
            p.realised_pnl_net,
            p.fees,
            p.execution_count,
        )
        for p in session.scalars(
            select(PositionRecord).where(PositionRecord.account_id == account.id)
        )
    )


class TestBatchedImportEqualsSettlingEachBatch:
    @settings(
        max_examples=20,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(
        histories(),
        st.lists(st.integers(0, 30), max_size=4),
        st.sampled_from(["fifo", "lifo", "average"]),
    )
    def test_the_same_positions_whichever_way_the_batches_settle(
        self,
        session: Session,
        trader: Trader,
        fills: list[dict[str, Any]],
        cuts: list[int],
        method: str,
    ) -> None:
        bounds = sorted({0, len(fills), *(min(cut, len(fills)) for cut in cuts)})
        batches = [fills[start:end] for start, end in zip(bounds, bounds[1:], strict=False)]
        each = new_account(session, trader, method)
        imported = new_account(session, trader, method)
        job = ImportRecord(
            user_id=trader.id,
            account_id=imported.id,
            filename="f.csv",
            object_key="k",
            format="generic_csv",
            mode="valid_only",
            status="running",
            size_bytes=1,
        )
        session.add(job)
        session.flush()
        for batch in batches:
            for account, import_id in ((each, None), (imported, job.id)):
                record_batch(
                    session,
                    trader.id,
                    ExecutionBatch.model_validate(
                        {"account_id": account.id, "import_id": import_id, "executions": batch}
                    ),
                    None,
                )
        assert position_state(session, imported) == []

        record_outcome(
            session,
            trader.id,
            job.id,
            ImportOutcome(status="completed", counts=ImportCounts()),
            None,
        )

        assert position_state(session, imported) == position_state(session, each)


@contextmanager
def served_by_a_work_process(backend: str, folder: Path) -> Iterator[TestClient]:
    """The app with its own engine on a fresh database, settling in a work process."""

    @contextmanager
    def database() -> Iterator[str]:
        if backend == "sqlite":
            yield f"sqlite:///{folder / 'core.db'}"
        else:
            with fresh_postgres_database() as url:
                yield url

    with database() as url:
        settings = Settings(database_url=url, data_dir=folder, settle_processes=1)
        migrate(settings)
        app = create_app(settings)
        try:
            with TestClient(app, raise_server_exceptions=False) as client:
                yield client
        finally:
            app.state.core.engine.dispose()


class TestSettleInAWorkProcess:
    @pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
    def test_outcomes_sent_at_once_settle_the_import_once(
        self, backend: str, tmp_path: Path
    ) -> None:
        with served_by_a_work_process(backend, tmp_path) as client:
            trader = make_trader(client)
            workers = service_headers(client)
            job = upload(client, trader).json()
            post_batch(client, workers, trader, job["id"], ROUND_TRIPS)

            url = f"/internal/users/{trader.id}/imports/{job['id']}/outcome"
            with ThreadPoolExecutor(3) as pool:
                answers = list(
                    pool.map(lambda _: client.post(url, json=COMPLETED, headers=workers), range(3))
                )

            assert [answer.status_code for answer in answers] == [204, 204, 204]
            assert positions(client, trader) == SETTLED
            detail = client.get(f"/v1/imports/{job['id']}", headers=trader.headers).json()
            assert detail["status"] == "completed"
            claimed = client.post("/internal/outbox/claim", json={"limit": 100}, headers=workers)
            types = [
                item["event"]["type"]
                for item in claimed.json()["items"]
                if item["event"]["data"]["user_id"] == str(trader.id)
            ]
            assert types.count("executions.recorded.v1") == 1
            assert types.count("position.closed.v1") == 2
            assert types.count("import.completed.v1") == 1

    def test_an_error_in_the_work_process_is_the_caller_s_problem(self, tmp_path: Path) -> None:
        with served_by_a_work_process("sqlite", tmp_path) as client:
            trader, other = make_trader(client), make_trader(client)
            job = upload(client, trader).json()
            response = client.post(
                f"/internal/users/{other.id}/imports/{job['id']}/outcome",
                json=COMPLETED,
                headers=service_headers(client),
            )
            assert response.status_code == 404
            assert response.json()["detail"] == "No import with that id."

    def test_batches_are_checked_and_stored_in_a_work_process(self, tmp_path: Path) -> None:
        with served_by_a_work_process("sqlite", tmp_path) as client:
            trader, workers = make_trader(client), service_headers(client)
            url = f"/internal/users/{trader.id}/executions/batch"
            fills = [{**fill, "price": "not a price"} for fill in ROUND_TRIPS]

            refused = client.post(
                url,
                json={"account_id": str(trader.account_id), "executions": fills},
                headers=workers,
            )
            stored = client.post(
                url,
                json={"account_id": str(trader.account_id), "executions": ROUND_TRIPS},
                headers=workers,
            )

            assert refused.status_code == 422
            assert refused.json()["errors"][0]["location"] == "body.executions.0.price"
            assert stored.json() == {"inserted": len(ROUND_TRIPS), "duplicates": 0}
            assert positions(client, trader) == SETTLED


def _niceness(_sessions: object) -> int:
    return os.nice(0)


def test_work_processes_run_at_a_lower_cpu_priority(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'core.db'}"
    offload = Offload(make_sessions(make_engine(url)), url, processes=1, log_level="INFO", nice=3)
    try:
        assert offload.call(_niceness) == os.nice(0) + 3
    finally:
        offload.close()
