"""Writing many rows at once: SQLAlchemy's column types, without its work per row.

An executemany through SQLAlchemy builds each row's parameters one by one (defaults,
bind processors, dictionaries) and costs more than the database's own work for a table
of thirty columns. Here each column's bind processor is looked up once per table, a
default is computed once per call, and the driver gets plain tuples: SQLite's in one
executemany, PostgreSQL's in one COPY (an executemany there is a statement per row,
which costs the server and the driver several times as much). Updates of many rows by
their key go the same way: SQLite's in one executemany, PostgreSQL's copied into a staging
table and applied by one UPDATE.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Column, Dialect, Table
from sqlalchemy.orm import Session
from sqlalchemy.sql.schema import CallableColumnDefault, ScalarElementColumnDefault

Processor = Callable[[Any], Any]


def insert_rows(
    session: Session,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    skip_conflicts: bool = False,
) -> int:
    """Inserts `rows` into `table` in one statement (see above), in the session's
    transaction; returns how many it inserted (fewer than given when conflicts were skipped).

    Every row names the same columns, its primary key among them. A column the rows leave
    out gets its Python default (`default=`), computed once for the call (one
    `created_at` for all the rows), or else the database's. With `skip_conflicts` a row
    that would break a unique constraint is skipped (`ON CONFLICT DO NOTHING`, SQLite and
    PostgreSQL alike).
    """
    if not rows:
        return 0
    connection = session.connection()
    writer = _writer(table, connection.dialect, frozenset(rows[0]), skip_conflicts)
    names, processors = writer.names, writer.processors
    defaults = tuple(
        value if process is None else process(value)
        for value, process in ((default(), process) for default, process in writer.defaults)
    )
    values = [row + defaults for row in _values(rows, names, processors)]
    if connection.dialect.name == "postgresql":
        return _copy(connection.connection.driver_connection, writer, values)
    # SQLite sums the rows each statement of an executemany changed.
    return connection.exec_driver_sql(writer.sql, values).rowcount


def update_rows(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Sets, on each row of `table` whose `id` a row of `rows` names, the other columns that
    row names, in the session's transaction (see above). Every row names the same columns."""
    if not rows:
        return
    connection = session.connection()
    updater = _updater(table, connection.dialect, tuple(rows[0]))
    values = _values(rows, updater.names, updater.processors)
    if connection.dialect.name != "postgresql":
        connection.exec_driver_sql(updater.sql, values)
        return
    driver: Any = connection.connection.driver_connection
    with driver.cursor() as cursor:
        cursor.execute(updater.staging)
        with cursor.copy(f"COPY {updater.staging_table} ({updater.columns}) FROM STDIN") as copy:
            for row in values:
                copy.write_row(row)
        cursor.execute(updater.sql)
        cursor.execute(f"DELETE FROM {updater.staging_table}")


def _values(
    rows: Sequence[Mapping[str, Any]],
    names: tuple[str, ...],
    processors: tuple[Processor | None, ...],
) -> list[tuple[Any, ...]]:
    """Each row's values of `names`, in that order, through the columns' bind processors."""
    return [
        tuple(
            [
                value if process is None or value is None else process(value)
                for value, process in zip(map(row.__getitem__, names), processors, strict=True)
            ]
        )
        for row in rows
    ]


def _copy(driver: Any, writer: _Writer, values: list[tuple[Any, ...]]) -> int:
    """The rows through PostgreSQL's COPY, in the transaction under way.

    COPY cannot skip a row that breaks a constraint: rows that may are copied into a
    temporary table of the same columns first (one per table and connection, emptied
    after each use), and moved over by an INSERT with `ON CONFLICT DO NOTHING`.
    """
    with driver.cursor() as cursor:
        if writer.staging is None:
            target = writer.table
        else:
            cursor.execute(writer.staging)
            target = writer.staging_table
        with cursor.copy(f"COPY {target} ({writer.columns}) FROM STDIN") as copy:
            for row in values:
                copy.write_row(row)
        if writer.staging is None:
            return len(values)
        inserted: int = cursor.execute(writer.sql).rowcount
        cursor.execute(f"DELETE FROM {writer.staging_table}")
        return inserted


@dataclass(frozen=True)
class _Writer:
    # The INSERT of one row (SQLite), or of the staged rows (PostgreSQL, skipping conflicts).
    sql: str
    table: str
    # The columns written, quoted and in order.
    columns: str
    # PostgreSQL, skipping conflicts: the statement that makes the staging table, and its name.
    staging: str | None
    staging_table: str
    # The columns the rows name, each with its bind processor (None: passed as it is).
    names: tuple[str, ...]
    processors: tuple[Processor | None, ...]
    # The columns they leave out that have a default, computed once per call.
    defaults: tuple[tuple[Callable[[], Any], Processor | None], ...]


@lru_cache(maxsize=256)
def _writer(table: Table, dialect: Dialect, given: frozenset[str], skip_conflicts: bool) -> _Writer:
    names: list[str] = []
    processors: list[Processor | None] = []
    defaulted: list[str] = []
    defaults: list[tuple[Callable[[], Any], Processor | None]] = []
    for column in table.columns:
        process = column.type.dialect_impl(dialect).bind_processor(dialect)
        if column.name in given:
            names.append(column.name)
            processors.append(process)
            continue
        default = _default(column)
        if default is not None:
            defaulted.append(column.name)
            defaults.append((default, process))
    quote = dialect.identifier_preparer.quote
    marker = "?" if dialect.paramstyle == "qmark" else "%s"
    name = dialect.identifier_preparer.format_table(table)
    columns = ", ".join(quote(column) for column in [*names, *defaulted])
    staging_table = quote(f"staged_{table.name}")
    staging = None
    if dialect.name == "postgresql" and skip_conflicts:
        staging = (
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging_table} "
            f"(LIKE {name}) ON COMMIT DELETE ROWS"
        )
        sql = f"INSERT INTO {name} ({columns}) SELECT {columns} FROM {staging_table}"
    else:
        markers = ", ".join([marker] * (len(names) + len(defaulted)))
        sql = f"INSERT INTO {name} ({columns}) VALUES ({markers})"
    if skip_conflicts:
        sql += " ON CONFLICT DO NOTHING"
    return _Writer(
        sql,
        name,
        columns,
        staging,
        staging_table,
        tuple(names),
        tuple(processors),
        tuple(defaults),
    )


def _default(column: Column[Any]) -> Callable[[], Any] | None:
    """The column's Python default as a function of nothing; None when it has none."""
    default = column.default
    if isinstance(default, ScalarElementColumnDefault):
        value = default.arg
        return lambda: value
    if isinstance(default, CallableColumnDefault):
        if column.primary_key:
            raise ValueError(f"rows for {column.table.name} must give {column.name}")
        # SQLAlchemy wraps a default function to take the execution context, which the
        # functions of this service's models ignore.
        function: Callable[[Any], Any] = default.arg
        return lambda: function(None)
    return None


@dataclass(frozen=True)
class _Updater:
    # SQLite: the UPDATE of one row, its values in `names` order (the key last). PostgreSQL:
    # the UPDATE of every staged row, and the statement that makes the staging table.
    sql: str
    staging: str
    staging_table: str
    # The columns of the staging table, quoted and in `names` order.
    columns: str
    names: tuple[str, ...]
    processors: tuple[Processor | None, ...]


@lru_cache(maxsize=64)
def _updater(table: Table, dialect: Dialect, given: tuple[str, ...]) -> _Updater:
    names = (*[name for name in given if name != "id"], "id")
    if len(names) != len(given):
        raise ValueError(f"rows for {table.name} must give its id")
    processors = tuple(
        table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
    )
    quote = dialect.identifier_preparer.quote
    target = dialect.identifier_preparer.format_table(table)
    columns = ", ".join(quote(name) for name in names)
    # One staging table per set of columns, kept for the connection and emptied after use;
    # made from a query, it has the columns' types but none of the table's constraints.
    staging_table = quote(f"staged_{table.name}_{zlib.crc32(columns.encode()):08x}")
    if dialect.name == "postgresql":
        assignments = ", ".join(f"{quote(name)} = staged.{quote(name)}" for name in names[:-1])
        sql = (
            f"UPDATE {target} SET {assignments} "
            f"FROM {staging_table} AS staged WHERE {target}.id = staged.id"
        )
    else:
        assignments = ", ".join(f"{quote(name)} = ?" for name in names[:-1])
        sql = f"UPDATE {target} SET {assignments} WHERE id = ?"
    staging = (
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging_table} ON COMMIT DELETE ROWS "
        f"AS SELECT {columns} FROM {target} WITH NO DATA"
    )
    return _Updater(sql, staging, staging_table, columns, names, processors)
