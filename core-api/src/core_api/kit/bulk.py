"""Writing many rows at once: SQLAlchemy's column types, without its work per row.

An executemany through SQLAlchemy builds each row's parameters one by one (defaults,
bind processors, dictionaries) and costs more than the database's own work for a table
of thirty columns. Here each column's bind processor and default are looked up once per
table, and the driver gets plain tuples.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter
from typing import Any

from sqlalchemy import Column, Dialect, Table
from sqlalchemy.orm import Session
from sqlalchemy.sql.schema import CallableColumnDefault, ScalarElementColumnDefault

Getter = Callable[[Mapping[str, Any]], Any]


def insert_rows(
    session: Session,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    skip_conflicts: bool = False,
) -> None:
    """Inserts `rows` into `table` in one executemany, in the session's transaction.

    Every row names the same columns; a column a row leaves out gets its Python default
    (`default=`), or else the database's. With `skip_conflicts` a row that would break a
    unique constraint is skipped (`ON CONFLICT DO NOTHING`, SQLite and PostgreSQL alike).
    """
    if not rows:
        return
    connection = session.connection()
    writer = _writer(table, connection.dialect, frozenset(rows[0]), skip_conflicts)
    getters = writer.getters
    connection.exec_driver_sql(writer.sql, [tuple([get(row) for get in getters]) for row in rows])


@dataclass(frozen=True)
class _Writer:
    sql: str
    getters: tuple[Getter, ...]


@lru_cache(maxsize=256)
def _writer(table: Table, dialect: Dialect, given: frozenset[str], skip_conflicts: bool) -> _Writer:
    names: list[str] = []
    getters: list[Getter] = []
    for column in table.columns:
        getter = _getter(column, dialect, given)
        if getter is not None:
            names.append(column.name)
            getters.append(getter)
    quote = dialect.identifier_preparer.quote
    marker = "?" if dialect.paramstyle == "qmark" else "%s"
    sql = (
        f"INSERT INTO {dialect.identifier_preparer.format_table(table)} "
        f"({', '.join(quote(name) for name in names)}) VALUES ({', '.join([marker] * len(names))})"
    )
    if skip_conflicts:
        sql += " ON CONFLICT DO NOTHING"
    return _Writer(sql, tuple(getters))


def _getter(column: Column[Any], dialect: Dialect, given: frozenset[str]) -> Getter | None:
    """How a row's value of `column` is found and bound; None leaves it to the database."""
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    default = column.default
    read: Getter
    if column.name in given:
        read = itemgetter(column.name)
    elif isinstance(default, ScalarElementColumnDefault):
        read = _constant(default.arg)
    elif isinstance(default, CallableColumnDefault):
        read = _called(default.arg)
    else:
        return None
    if process is None:
        return read
    return _processed(read, process)


def _constant(value: Any) -> Getter:
    def read(_row: Mapping[str, Any]) -> Any:
        return value

    return read


def _called(function: Callable[[Any], Any]) -> Getter:
    def read(_row: Mapping[str, Any]) -> Any:
        # SQLAlchemy wraps a default function to take the execution context, which the
        # functions of this service's models ignore.
        return function(None)

    return read


def _processed(read: Getter, process: Callable[[Any], Any]) -> Getter:
    def bound(row: Mapping[str, Any]) -> Any:
        return process(read(row))

    return bound
