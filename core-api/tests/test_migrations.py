from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import JSON, Engine, MetaData, Table, func, insert, inspect, select, text

from core_api.cli import alembic_config
from core_api.db import make_engine
from core_api.kit.clock import utcnow
from core_api.models import AccountRecord, ExecutionRecord, UserRecord, metadata
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


# Columns a table's CHECK constraints want otherwise (an attachment has one owner).
ROW_OVERRIDES: dict[str, dict[str, Any]] = {
    "attachments": {"journal_entry_id": None},
    # Its only row cannot cite a strategy before it.
    "strategies": {"rolled_from_id": None},
}
# Strings that later migrations read as what they are (backfills parse them).
NAMED_STRINGS = {"time_zone": "UTC", "currency": "USD", "base_currency": "USD"}


def a_value(name: str, column_type: Any, length: int | None) -> Any:
    """A value of the column's Python type, short enough for its length."""
    if name in NAMED_STRINGS:
        return NAMED_STRINGS[name]
    if isinstance(column_type, JSON):
        return {"kept": True}
    kind: type = str
    # A TypeDecorator names no Python type of its own; the type it decorates does.
    for candidate in (getattr(column_type, "impl_instance", column_type), column_type):
        try:
            found = candidate.python_type
        except (AttributeError, NotImplementedError):
            continue
        if found is not object:
            kind = found
            break
    values: dict[type, Any] = {
        uuid.UUID: uuid.uuid4(),
        bool: True,
        int: 1,
        float: 1.5,
        Decimal: Decimal("1.5"),
        dt.datetime: utcnow(),
        dt.date: dt.date(2026, 3, 2),
        dt.time: dt.time(9, 30),
        bytes: b"kept",
        dict: {"kept": True},
        list: ["kept"],
    }
    if kind in values:
        return values[kind]
    return "k" * min(length or 4, 4)


def fill_empty_tables(engine: Engine) -> dict[str, int]:
    """One row in every table the schema has now and that holds nothing yet, each citing
    the rows of the tables its foreign keys point at; returns the row count per table."""
    with engine.begin() as connection:
        inspector = inspect(connection)
        reflected = MetaData()
        reflected.reflect(connection)
        for table in reflected.sorted_tables:
            if table.name == "alembic_version":
                continue
            if connection.execute(select(func.count()).select_from(table)).scalar_one():
                continue
            row: dict[str, Any] = {}
            for foreign_key in inspector.get_foreign_keys(table.name):
                referred = foreign_key["referred_table"]
                # Read through the models' types where they know the table, as written.
                parent = (metadata if referred in metadata.tables else reflected).tables[referred]
                cited = connection.execute(
                    select(*(parent.c[name] for name in foreign_key["referred_columns"]))
                ).first()
                if cited is not None:
                    row.update(zip(foreign_key["constrained_columns"], cited, strict=True))
            model = metadata.tables.get(table.name)
            for column in table.columns:
                if column.name in row:
                    continue
                column_type = (
                    model.c[column.name].type
                    if model is not None and column.name in model.c
                    else column.type
                )
                row[column.name] = a_value(
                    column.name, column_type, getattr(column.type, "length", None)
                )
            row.update(ROW_OVERRIDES.get(table.name, {}))
            # Written through the models' types where they know the column (UUIDs, JSON),
            # and only the columns this revision has (a later one's defaults are not).
            target = (
                table
                if model is None
                else Table(
                    table.name, MetaData(), *(c._copy() for c in model.c if c.name in table.c)
                )
            )
            connection.execute(
                insert(target).values({k: v for k, v in row.items() if k in target.c})
            )
        return {
            table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in reflected.sorted_tables
            if table.name != "alembic_version"
        }


class TestEveryMigrationOnTheDataBeforeIt:
    def test_each_revision_keeps_every_row_the_previous_one_held(self, empty_database: str) -> None:
        config = alembic_config(empty_database)
        revisions = [
            revision.revision
            for revision in reversed(list(ScriptDirectory.from_config(config).walk_revisions()))
        ]
        assert len(revisions) > 1
        engine = make_engine(empty_database)
        try:
            command.upgrade(config, revisions[0])
            held = fill_empty_tables(engine)
            for revision in revisions[1:]:
                command.upgrade(config, revision)
                now_held = fill_empty_tables(engine)
                assert {name: now_held.get(name) for name in held} == held, revision
                held = now_held
        finally:
            engine.dispose()
        assert set(metadata.tables) <= set(held)
        assert all(count == 1 for count in held.values())


class TestFeeSourceBackfill:
    def test_fills_stored_before_without_costs_report_none_and_the_others_broker(
        self, empty_database: str
    ) -> None:
        config = alembic_config(empty_database)
        command.upgrade(config, "c3e1b7a90d24")
        engine = make_engine(empty_database)
        try:
            fill_empty_tables(engine)
            with engine.begin() as connection:
                connection.execute(text("UPDATE executions SET commission = 0, fees = 0"))
            command.upgrade(config, "head")
            with engine.connect() as connection:
                before = connection.execute(select(ExecutionRecord.fee_source)).scalar_one()
        finally:
            engine.dispose()
        assert before == "none"
