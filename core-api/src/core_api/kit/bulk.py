"""Writing many rows at once: SQLAlchemy's column types, without its work per row.

An executemany through SQLAlchemy builds each row's parameters one by one (defaults,
bind processors, dictionaries) and costs more than the database's own work for a table
of thirty columns. Here each column's bind processor is looked up once per table, a
default is computed once per call, and the driver gets plain tuples.
"""

from __future__ import annotations

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
) -> None:
    """Inserts `rows` into `table` in one executemany, in the session's transaction.

    Every row names the same columns, its primary key among them. A column the rows leave
    out gets its Python default (`default=`), computed once for the call (one
    `created_at` for all the rows), or else the database's. With `skip_conflicts` a row
    that would break a unique constraint is skipped (`ON CONFLICT DO NOTHING`, SQLite and
    PostgreSQL alike).
    """
    if not rows:
        return
    connection = session.connection()
    writer = _writer(table, connection.dialect, frozenset(rows[0]), skip_conflicts)
    names, processors = writer.names, writer.processors
    defaults = tuple(
        value if process is None else process(value)
        for value, process in ((default(), process) for default, process in writer.defaults)
    )
    connection.exec_driver_sql(
        writer.sql,
        [
            tuple(
                [
                    value if process is None or value is None else process(value)
                    for value, process in zip(map(row.__getitem__, names), processors, strict=True)
                ]
            )
            + defaults
            for row in rows
        ],
    )


@dataclass(frozen=True)
class _Writer:
    sql: str
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
    columns = [*names, *defaulted]
    sql = (
        f"INSERT INTO {dialect.identifier_preparer.format_table(table)} "
        f"({', '.join(quote(name) for name in columns)}) "
        f"VALUES ({', '.join([marker] * len(columns))})"
    )
    if skip_conflicts:
        sql += " ON CONFLICT DO NOTHING"
    return _Writer(sql, tuple(names), tuple(processors), tuple(defaults))


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
