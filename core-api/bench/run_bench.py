"""Benchmarks: rematching an account's executions, and dashboard statistics over them.

Writes one JSON object per line to the file named by the first argument. Runs on SQLite,
and on PostgreSQL when TEST_DATABASE_URL answers (a throwaway database is created and
dropped). Sizes above --max-size are skipped.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import psycopg
from alembic import command
from fastapi.testclient import TestClient
from psycopg import sql
from sqlalchemy import insert, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from core_api.accounts.models import AccountRecord
from core_api.app import create_app
from core_api.cli import alembic_config
from core_api.config import Settings, to_sqlalchemy_url
from core_api.executions.models import ExecutionRecord
from core_api.imports.models import ImportRecord
from core_api.imports.service import undo_import
from core_api.positions.service import InstrumentKey, rematch

SIZES = (1_000, 10_000, 100_000)
SYMBOLS = [f"S{index:02d}" for index in range(20)]
STATISTICS_REQUESTS = 200
# What workers send per request (their import_batch_size default).
INGEST_BATCH = 1_000
# The ingest also timed against a served core with /healthz polled beside it.
SERVED_SIZE = 10_000
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
PASSWORD = "benchmark passphrase"


@contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite:///{Path(folder) / 'bench.db'}"


@contextmanager
def postgres_database() -> Iterator[str]:
    name = f"core_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(TEST_DATABASE_URL, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        url = make_url(to_sqlalchemy_url(TEST_DATABASE_URL)).set(database=name)
        yield url.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(TEST_DATABASE_URL, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def postgres_answers() -> bool:
    try:
        with psycopg.connect(TEST_DATABASE_URL, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


def round_trips(size: int) -> list[dict[str, Any]]:
    """Round trips of 1-3 entries and one exit over a year, spread across 20 symbols."""
    rng = random.Random(size)
    fills: list[dict[str, Any]] = []
    at = dt.datetime(2025, 1, 2, 14, 30, tzinfo=dt.UTC)
    step = dt.timedelta(days=365) / size
    while len(fills) < size:
        symbol = rng.choice(SYMBOLS)
        side, other = rng.choice([("buy", "sell"), ("sell", "buy")])
        entries = rng.randint(1, 3)
        quantity = Decimal(rng.randint(1, 10) * 10)
        price = Decimal(rng.randint(5_000, 15_000)) / 100
        legs = [(side, quantity, price)] * entries + [(other, quantity * entries, price + 1)]
        for leg_side, leg_quantity, leg_price in legs:
            at += step
            fills.append(
                {
                    "broker_execution_id": f"e{len(fills)}",
                    "executed_at": at,
                    "symbol": symbol,
                    "side": leg_side,
                    "quantity": leg_quantity,
                    "price": leg_price + Decimal(rng.randint(-100, 100)) / 100,
                    "commission": Decimal("1.00"),
                    "fees": Decimal("0.05"),
                }
            )
    return fills[:size]


def execution_rows(user_id: uuid.UUID, account_id: uuid.UUID, size: int) -> list[dict[str, Any]]:
    """The round trips as rows of the executions table."""
    return [
        {
            **fill,
            "id": uuid.uuid4(),
            "user_id": user_id,
            "account_id": account_id,
            "recorded_order": index,
            "asset_class": "stock",
            "currency": "USD",
            "multiplier": Decimal(1),
            "kind": "trade",
        }
        for index, fill in enumerate(round_trips(size))
    ]


def execution_bodies(size: int) -> list[dict[str, Any]]:
    """The round trips as the ExecutionIn bodies workers send."""
    return [
        {
            "broker_execution_id": fill["broker_execution_id"],
            "executed_at": fill["executed_at"].isoformat(),
            "instrument": {"asset_class": "stock", "symbol": fill["symbol"]},
            "side": fill["side"],
            "quantity": str(fill["quantity"]),
            "price": str(fill["price"]),
            "commission": str(fill["commission"]),
            "fees": str(fill["fees"]),
        }
        for fill in round_trips(size)
    ]


def service_headers(client: TestClient | httpx.Client) -> dict[str, str]:
    service = client.post(
        "/internal/token", json={"client_id": "workers", "client_secret": "dev-workers-secret"}
    )
    return {"Authorization": f"Bearer {service.json()['access_token']}"}


def ingest(url: str, backend: str, size: int, out: list[dict[str, Any]]) -> None:
    """Executions posted to the internal batch route in time order, as an import sends them."""
    command.upgrade(alembic_config(url), "head")
    bodies = execution_bodies(size)
    with tempfile.TemporaryDirectory() as data:
        app = create_app(Settings(database_url=url, data_dir=Path(data)))
        with TestClient(app) as client:
            email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
            user = client.post("/v1/auth/signup", json={"email": email, "password": PASSWORD})
            tokens = client.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
            headers = {"Authorization": f"Bearer {tokens.json()['access_token']}"}
            account_id = client.get("/v1/accounts", headers=headers).json()["items"][0]["id"]
            route = f"/internal/users/{user.json()['id']}/executions/batch"
            workers = service_headers(client)
            started = time.perf_counter()
            for start in range(0, size, INGEST_BATCH):
                body = {
                    "account_id": account_id,
                    "executions": bodies[start : start + INGEST_BATCH],
                }
                response = client.post(route, json=body, headers=workers)
                if response.status_code == 401:
                    # A large size can outlast a service token, as a long import does.
                    workers = service_headers(client)
                    response = client.post(route, json=body, headers=workers)
                assert response.status_code == 200, response.text
            elapsed = time.perf_counter() - started
        app.state.core.engine.dispose()
    out.append(_line(f"ingest executions ({backend})", size, size, "executions", [elapsed]))


@contextmanager
def served_core(url: str, data: Path) -> Iterator[str]:
    """`core-api serve` on `url`'s database, as the stack runs it; yields its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = {
        **os.environ,
        "CORE_DATA_DIR": str(data),
        "CORE_DATABASE_URL": url,
        "CORE_PORT": str(port),
        "CORE_LOG_LEVEL": "WARNING",
    }
    command_line = [str(Path(sys.executable).parent / "core-api")]
    subprocess.run([*command_line, "migrate"], env=environment, check=True)
    server = subprocess.Popen([*command_line, "serve"], env=environment, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def served_ingest(url: str, backend: str, size: int, out: list[dict[str, Any]]) -> None:
    """The batches posted to a served core while /healthz is polled every 20 ms beside them.

    The health p50/p99 show whether the batches' work holds up core's event loop.
    """
    bodies = execution_bodies(size)
    with tempfile.TemporaryDirectory() as data, served_core(url, Path(data)) as base:
        with httpx.Client(base_url=base, timeout=120) as client:
            email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
            user = client.post("/v1/auth/signup", json={"email": email, "password": PASSWORD})
            tokens = client.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
            headers = {"Authorization": f"Bearer {tokens.json()['access_token']}"}
            account_id = client.get("/v1/accounts", headers=headers).json()["items"][0]["id"]
            route = f"/internal/users/{user.json()['id']}/executions/batch"
            health: list[float] = []
            done = threading.Event()

            def poll() -> None:
                with httpx.Client(base_url=base, timeout=30) as poller:
                    while not done.is_set():
                        started = time.perf_counter()
                        poller.get("/healthz").raise_for_status()
                        health.append(time.perf_counter() - started)
                        done.wait(0.02)

            poller = threading.Thread(target=poll)
            poller.start()
            started = time.perf_counter()
            try:
                for start in range(0, size, INGEST_BATCH):
                    body = {
                        "account_id": account_id,
                        "executions": bodies[start : start + INGEST_BATCH],
                    }
                    # A fresh service token per batch: a long run outlasts one.
                    workers = service_headers(client)
                    response = client.post(route, json=body, headers=workers)
                    assert response.status_code == 200, response.text
                elapsed = time.perf_counter() - started
            finally:
                done.set()
                poller.join()
    out.append(_line(f"ingest executions, served ({backend})", size, size, "executions", [elapsed]))
    ordered = sorted(health)
    for label, quantile in (("p50", 0.50), ("p99", 0.99)):
        value = ordered[min(len(ordered) - 1, int(quantile * len(ordered)))]
        out.append(
            _line(f"/healthz {label} during ingest ({backend})", size, 1, "requests", [value])
        )


def run(url: str, backend: str, size: int, out: list[dict[str, Any]]) -> None:
    command.upgrade(alembic_config(url), "head")
    with tempfile.TemporaryDirectory() as data:
        app = create_app(Settings(database_url=url, data_dir=Path(data)))
        with TestClient(app) as client:
            email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
            user = client.post("/v1/auth/signup", json={"email": email, "password": PASSWORD})
            tokens = client.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
            headers = {"Authorization": f"Bearer {tokens.json()['access_token']}"}
            user_id = uuid.UUID(user.json()["id"])
            sessions = app.state.core.sessions
            with sessions() as session:
                account = session.scalars(
                    select(AccountRecord).where(AccountRecord.user_id == user_id)
                ).one()
                account_id = account.id
                session.execute(insert(ExecutionRecord), execution_rows(user_id, account_id, size))
                session.commit()
            keys = [InstrumentKey("stock", symbol) for symbol in SYMBOLS]
            repeats = 5 if size < 100_000 else 1
            timings = []
            for attempt in range(repeats + (1 if repeats > 1 else 0)):
                with sessions() as session:
                    account = session.get_one(AccountRecord, account_id)
                    started = time.perf_counter()
                    rematch(session, account, keys, None)
                    session.flush()
                    elapsed = time.perf_counter() - started
                    last = attempt == repeats - (0 if repeats > 1 else 1)
                    if last:
                        session.commit()
                    else:
                        session.rollback()
                if repeats == 1 or attempt > 0:
                    timings.append(elapsed)
            out.append(_line(f"rematch ({backend})", size, size, "rows", timings))
            client.get("/v1/statistics", headers=headers)
            latencies = []
            for _ in range(STATISTICS_REQUESTS):
                started = time.perf_counter()
                response = client.get("/v1/statistics", headers=headers)
                latencies.append(time.perf_counter() - started)
                assert response.status_code == 200, response.text
            out.append(_line(f"dashboard statistics ({backend})", size, 1, "requests", latencies))
            ordered = sorted(latencies)
            for label, quantile in (("p50", 0.50), ("p95", 0.95)):
                value = ordered[min(len(ordered) - 1, int(quantile * len(ordered)))]
                out.append(
                    _line(f"dashboard statistics {label} ({backend})", size, 1, "requests", [value])
                )
            set_default_stop(client, headers, account_id, backend, size, out)
            undo_latest_import(sessions, user_id, account_id, backend, size, out)
        app.state.core.engine.dispose()


def set_default_stop(
    client: TestClient,
    headers: dict[str, str],
    account_id: uuid.UUID,
    backend: str,
    size: int,
    out: list[dict[str, Any]],
) -> None:
    """The account's default stop set, as the trader saves it: every position's rule stop
    and the daily R sums recomputed (the account's plan has no rule reading stops)."""
    started = time.perf_counter()
    response = client.patch(
        f"/v1/accounts/{account_id}",
        json={"default_stop": {"kind": "percent", "distance": "1"}},
        headers=headers,
    )
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.text
    out.append(_line(f"set default stop ({backend})", size, size, "rows", [elapsed]))


def undo_latest_import(
    sessions: sessionmaker[Session],
    user_id: uuid.UUID,
    account_id: uuid.UUID,
    backend: str,
    size: int,
    out: list[dict[str, Any]],
) -> None:
    """The account's latest tenth of fills as one finished import, undone after a dry run:
    removing them and rebuilding every instrument from its earliest removed fill."""
    brought = size // 10
    with sessions() as session:
        record = ImportRecord(
            user_id=user_id,
            account_id=account_id,
            filename="latest.csv",
            object_key="bench",
            format="auto",
            mode="valid_only",
            status="completed",
            size_bytes=0,
        )
        session.add(record)
        session.flush()
        latest = (
            select(ExecutionRecord.id)
            .where(ExecutionRecord.account_id == account_id)
            .order_by(ExecutionRecord.executed_at.desc())
            .limit(brought)
        )
        session.execute(
            update(ExecutionRecord)
            .where(ExecutionRecord.id.in_(latest.scalar_subquery()))
            .values(import_id=record.id)
        )
        session.commit()
        import_id = record.id
    for dry_run, workload in ((True, "undo import dry run"), (False, "undo import")):
        with sessions() as session:
            started = time.perf_counter()
            undo = undo_import(session, user_id, import_id, dry_run, None)
            session.commit()
            elapsed = time.perf_counter() - started
        assert undo.executions_removed == brought, undo
        out.append(_line(f"{workload} ({backend})", size, brought, "executions", [elapsed]))


def _line(workload: str, size: int, items: int, unit: str, seconds: list[float]) -> dict[str, Any]:
    print(f"{workload:45} size {size:>7}: median {statistics.median(seconds):.4f}s")  # noqa: T201
    return {"workload": workload, "size": size, "items": items, "unit": unit, "seconds": seconds}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--max-size", type=int, default=100_000)
    args = parser.parse_args()
    backends = [("sqlite", sqlite_database)]
    if postgres_answers():
        backends.append(("postgresql", postgres_database))
    lines: list[dict[str, Any]] = []
    for backend, database in backends:
        for size in SIZES:
            if size > args.max_size:
                continue
            with database() as url:
                ingest(url, backend, size, lines)
            if size == SERVED_SIZE:
                with database() as url:
                    served_ingest(url, backend, size, lines)
            with database() as url:
                run(url, backend, size, lines)
    with args.out.open("a") as file:
        for line in lines:
            file.write(json.dumps(line) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
