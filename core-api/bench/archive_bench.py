"""Benchmark: exporting an account of 1,000 to 100,000 executions as an archive, and
restoring it into a new trader.

Writes one JSON object per line to the file named by the first argument: the time of each
step, the archive's size, and the peak of Python memory during each (tracemalloc, on a
second run of the step, since tracing slows it). Runs on SQLite, and on PostgreSQL when
TEST_DATABASE_URL answers. Sizes above --max-size are skipped.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from alembic import command
from fastapi.testclient import TestClient
from run_bench import (
    PASSWORD,
    SIZES,
    SYMBOLS,
    _line,
    execution_rows,
    postgres_answers,
    postgres_database,
    sqlite_database,
)
from sqlalchemy import insert, select

from core_api.accounts.models import AccountRecord
from core_api.app import create_app
from core_api.archive.service import restore_archive, stream_archive
from core_api.cli import alembic_config
from core_api.config import Settings
from core_api.executions.models import ExecutionRecord
from core_api.positions.service import InstrumentKey, rematch

MIB = 1024 * 1024


def signup(client: TestClient) -> uuid.UUID:
    email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
    user = client.post("/v1/auth/signup", json={"email": email, "password": PASSWORD})
    return uuid.UUID(user.json()["id"])


def measured(step: Callable[[], Any]) -> tuple[float, float, Any]:
    """The step's seconds (untraced run), and its Python peak in MiB (a traced second run)."""
    started = time.perf_counter()
    step()
    seconds = time.perf_counter() - started
    tracemalloc.start()
    result = step()
    peak = tracemalloc.get_traced_memory()[1] / MIB
    tracemalloc.stop()
    return seconds, peak, result


def run(url: str, backend: str, size: int, out: list[dict[str, Any]]) -> None:
    command.upgrade(alembic_config(url), "head")
    with tempfile.TemporaryDirectory() as data:
        app = create_app(Settings(database_url=url, data_dir=Path(data)))
        sessions, store = app.state.core.sessions, app.state.core.store
        with TestClient(app) as client:
            owner = signup(client)
            with sessions() as session:
                account = session.scalars(
                    select(AccountRecord).where(AccountRecord.user_id == owner)
                ).one()
                session.execute(insert(ExecutionRecord), execution_rows(owner, account.id, size))
                rematch(session, account, [InstrumentKey("stock", s) for s in SYMBOLS], None)
                session.commit()

            def export() -> IO[bytes]:
                # What the route streams, written to a file here so restore can read it.
                archive = tempfile.TemporaryFile()
                for chunk in stream_archive(sessions, store, owner):
                    archive.write(chunk)
                return archive

            seconds, peak, archive = measured(export)
            archive_bytes = archive.seek(0, 2)
            out.append(_line(f"archive export ({backend})", size, size, "executions", [seconds]))
            out[-1] |= {"peak_mib": round(peak, 1), "archive_mib": round(archive_bytes / MIB, 1)}

            def restore() -> None:
                archive.seek(0)
                with sessions() as session:
                    restore_archive(session, store, signup(client), archive, 2**40, None)
                    session.rollback()

            seconds, peak, _ = measured(restore)
            out.append(_line(f"archive restore ({backend})", size, size, "executions", [seconds]))
            out[-1] |= {"peak_mib": round(peak, 1)}
            archive.close()
        app.state.core.engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--max-size", type=int, default=100_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"))
    args = parser.parse_args()
    backends = [("sqlite", sqlite_database)]
    if postgres_answers():
        backends.append(("postgresql", postgres_database))
    lines: list[dict[str, Any]] = []
    for backend, database in backends:
        if args.backend not in (None, backend):
            continue
        for size in SIZES:
            if size <= args.max_size:
                with database() as url:
                    run(url, backend, size, lines)
    with args.out.open("a") as file:
        for line in lines:
            file.write(json.dumps(line) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
