"""Fixtures: a migrated SQLite and PostgreSQL database per run, one rolled-back transaction
per test, the app bound to it, and typed factories for traders and their data."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from alembic import command
from fastapi import FastAPI
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator
from psycopg import sql
from sqlalchemy import Connection, Engine, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from tradeloop_contracts import build_schemas

from core_api.app import create_app
from core_api.cli import alembic_config
from core_api.config import Settings, to_sqlalchemy_url
from core_api.db import make_engine
from core_api.outbox.models import OutboxRecord

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def restored_logging() -> Iterator[None]:
    """Undoes what a command's `configure_logging` does to the root and server loggers, so
    later tests log through pytest's handlers again."""
    loggers = [logging.getLogger(name) for name in ("", "uvicorn", "uvicorn.access")]
    saved = [(logger.handlers[:], logger.level, logger.propagate) for logger in loggers]
    yield
    for logger, (handlers, level, propagate) in zip(loggers, saved, strict=True):
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate = propagate


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A fresh database migrated with Alembic; PostgreSQL gets its own database per run."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'core.db'}"
        command.upgrade(alembic_config(url), "head")
        yield url
        return
    with fresh_postgres_database() as url:
        command.upgrade(alembic_config(url), "head")
        yield url


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """Creates `core_test_<random>` on TEST_DATABASE_URL's server and drops it afterwards."""
    name = f"core_test_{uuid.uuid4().hex[:12]}"
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


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """One transaction per test, rolled back at the end whatever the code under test commits."""
    with engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()


@pytest.fixture
def sessions(connection: Connection) -> sessionmaker[Session]:
    return sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    with sessions() as session:
        yield session


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.fixture
def settings(database_url: str, data_dir: Path) -> Settings:
    return Settings(database_url=database_url, data_dir=data_dir)


class Inline:
    """Runs the plan judge's jobs at once, in the caller's thread: after a response, in the
    request's background tasks, so a test sees the judged plan at its next request."""

    def submit(self, job: Callable[[], None]) -> None:
        job()


@pytest.fixture
def app(settings: Settings, sessions: sessionmaker[Session]) -> Iterator[FastAPI]:
    app = create_app(settings, sessions=sessions, judge_worker=Inline())
    yield app
    app.state.core.engine.dispose()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@dataclass(frozen=True)
class Trader:
    """A signed-up trader, their token and their default account."""

    id: uuid.UUID
    email: str
    token: str
    refresh_token: str
    account_id: uuid.UUID

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def make_trader(client: TestClient) -> Trader:
    """Signs a new trader up and logs them in."""
    email = f"trader-{uuid.uuid4().hex[:10]}@example.com"
    response = client.post("/v1/auth/signup", json={"email": email, "password": PASSWORD})
    assert response.status_code == 201, response.text
    user_id = uuid.UUID(response.json()["id"])
    tokens = client.post("/v1/auth/login", json={"email": email, "password": PASSWORD}).json()
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    account_id = uuid.UUID(client.get("/v1/accounts", headers=headers).json()["items"][0]["id"])
    return Trader(user_id, email, tokens["access_token"], tokens["refresh_token"], account_id)


@pytest.fixture
def trader(client: TestClient) -> Trader:
    return make_trader(client)


@pytest.fixture
def other_trader(client: TestClient) -> Trader:
    return make_trader(client)


def service_headers(client: TestClient, client_id: str = "workers") -> dict[str, str]:
    """Headers with a service token got through the client-credentials route."""
    response = client.post(
        "/internal/token",
        json={"client_id": client_id, "client_secret": f"dev-{client_id}-secret"},
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture
def workers(client: TestClient) -> dict[str, str]:
    return service_headers(client)


def execution(
    broker_id: str,
    side: str,
    quantity: str,
    price: str,
    at: str,
    symbol: str = "AAPL",
    **extra: Any,
) -> dict[str, Any]:
    """One ExecutionIn body for a stock unless `instrument` is given."""
    body: dict[str, Any] = {
        "broker_execution_id": broker_id,
        "executed_at": at,
        "instrument": {"asset_class": "stock", "symbol": symbol},
        "side": side,
        "quantity": quantity,
        "price": price,
    }
    return {**body, **extra}


def events_of(session: Session, user_id: uuid.UUID, event_type: str) -> list[dict[str, Any]]:
    """The events written to the outbox for a trader, oldest first."""
    rows = session.scalars(
        select(OutboxRecord)
        .where(OutboxRecord.user_id == user_id, OutboxRecord.event_type == event_type)
        .order_by(OutboxRecord.sequence)
    ).all()
    return [row.event for row in rows]


_SCHEMAS = build_schemas()


def assert_valid_event(event: dict[str, Any]) -> None:
    """The event matches its type's JSON Schema from the contracts artifact."""
    Draft202012Validator(_SCHEMAS[f"events/{event['type']}.json"]).validate(event)
