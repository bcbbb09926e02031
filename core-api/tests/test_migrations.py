from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from core_api.cli import alembic_config
from core_api.db import make_engine
from core_api.models import metadata
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
