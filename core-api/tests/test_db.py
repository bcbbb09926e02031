from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from core_api.app import create_app
from core_api.config import Settings
from core_api.db import DbSession
from core_api.errors import AppError
from core_api.outbox.models import OutboxRecord


def write_then_fail(session: Session, keep_changes: bool) -> None:
    session.add(
        OutboxRecord(
            event_id="probe-" + str(keep_changes),
            event_type="probe",
            user_id=uuid.uuid4(),
            event={},
        )
    )
    session.flush()
    raise AppError(409, "Conflict", keep_changes=keep_changes)


@pytest.fixture
def probe_app(app: FastAPI) -> FastAPI:
    @app.post("/probe/{keep}")
    def probe(keep: bool, session: DbSession) -> None:
        write_then_fail(session, keep)

    return app


class TestRequestTransaction:
    def test_a_failed_request_leaves_no_trace(self, probe_app: FastAPI, session: Session) -> None:
        with TestClient(probe_app) as client:
            assert client.post("/probe/false").status_code == 409
        assert (
            session.scalar(select(func.count()).where(OutboxRecord.event_id == "probe-False")) == 0
        )

    def test_an_error_that_keeps_changes_commits_them(
        self, probe_app: FastAPI, session: Session
    ) -> None:
        with TestClient(probe_app) as client:
            assert client.post("/probe/true").status_code == 409
        assert (
            session.scalar(select(func.count()).where(OutboxRecord.event_id == "probe-True")) == 1
        )


class TestSqlite:
    def test_sqlite_runs_with_wal_and_foreign_keys(self, engine: Engine) -> None:
        if engine.dialect.name != "sqlite":
            assert engine.dialect.driver == "psycopg"
            return
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


class TestReadiness:
    @pytest.fixture
    def unreachable(self, tmp_path: Path) -> Iterator[TestClient]:
        settings = Settings(
            database_url="postgresql://postgres@127.0.0.1:1/nothing", data_dir=tmp_path
        )
        with TestClient(create_app(settings)) as client:
            yield client

    def test_readyz_is_a_503_problem_when_the_database_does_not_answer(
        self, unreachable: TestClient
    ) -> None:
        response = unreachable.get("/readyz")
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert "postgres@" not in response.text
