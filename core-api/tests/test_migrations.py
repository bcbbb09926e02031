from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, insert, inspect, select

from core_api.cli import alembic_config
from core_api.db import make_engine
from core_api.kit.clock import utcnow
from core_api.models import AccountRecord, UserRecord, metadata
from tests.conftest import fresh_postgres_database


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    with fresh_postgres_database() as url:
        yield url


class TestMigrations:
    def test_upgrade_on_an_empty_database_matches_the_models(self, empty_database: str) -> None:
        command.upgrade(alembic_config(empty_database), "head")
        engine = make_engine(empty_database)
        try:
            with engine.connect() as connection:
                tables = set(inspect(connection).get_table_names())
                context = MigrationContext.configure(connection, opts={"compare_type": True})
                drift = compare_metadata(context, metadata)
        finally:
            engine.dispose()
        assert set(metadata.tables) <= tables
        assert drift == []

    def test_downgrade_to_base_removes_every_table(self, empty_database: str) -> None:
        config = alembic_config(empty_database)
        command.upgrade(config, "head")
        command.downgrade(config, "base")
        engine = make_engine(empty_database)
        try:
            with engine.connect() as connection:
                assert set(inspect(connection).get_table_names()) <= {"alembic_version"}
        finally:
            engine.dispose()


FIRST_RELEASE = "3a0aeaaff759"


def seed_first_release(engine: Engine) -> None:
    """A trader and an account written as the first release's schema had them."""
    now = utcnow()
    users, accounts = metadata.tables["users"], metadata.tables["accounts"]
    with engine.begin() as connection:
        connection.execute(
            insert(users).values(
                id=uuid.UUID(int=1),
                email="kept@example.com",
                password_hash="$argon2id$kept",
                time_zone="UTC",
                base_currency="USD",
                created_at=now,
                updated_at=now,
            )
        )
        connection.execute(
            insert(accounts).values(
                id=uuid.UUID(int=2),
                user_id=uuid.UUID(int=1),
                name="Main",
                broker="manual",
                base_currency="USD",
                time_zone="UTC",
                matching_method="fifo",
                breakeven_band=Decimal("0.5"),
                created_at=now,
                updated_at=now,
            )
        )


class TestUpgradingData:
    def test_rows_of_the_previous_release_survive_the_upgrade(self, empty_database: str) -> None:
        config = alembic_config(empty_database)
        command.upgrade(config, FIRST_RELEASE)
        engine = make_engine(empty_database)
        try:
            seed_first_release(engine)
            command.upgrade(config, "head")
            with engine.connect() as connection:
                user = connection.execute(select(UserRecord.email)).scalar_one()
                account = connection.execute(
                    select(AccountRecord.user_id, AccountRecord.breakeven_band)
                ).one()
                assert "api_tokens" in inspect(connection).get_table_names()
        finally:
            engine.dispose()
        assert user == "kept@example.com"
        assert tuple(account) == (uuid.UUID(int=1), Decimal("0.5"))
