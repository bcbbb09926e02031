"""Many keys in one statement, as a small table to join rather than one long OR."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnClause,
    ColumnElement,
    FromClause,
    String,
    Uuid,
    and_,
    bindparam,
    column,
    func,
    select,
    type_coerce,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from core_api.kit.types import UtcDateTime

# Keys per statement: a rematch or refresh works through larger sets in such slices.
KEYS_PER_STATEMENT = 500
# Before any fill: as an instrument's time, it leaves none of its fills or positions out.
BEGINNING = dt.datetime.min.replace(tzinfo=dt.UTC)


def lookup_table(
    session: Session, name: str, columns: Sequence[ColumnClause[Any]], rows: Sequence[Sequence[Any]]
) -> FromClause:
    """`rows` as a table called `name` with `columns`, for a statement to join.

    Joined on an index's leading columns, each key is one index lookup; an OR over the
    same keys (`(a = ? AND b = ?) OR ...`) makes SQLite and PostgreSQL test every row of
    the account against every key. The rows travel as one parameter per column on
    PostgreSQL (arrays, unnested) and one JSON text on SQLite (`json_each`): a VALUES list
    with a parameter per value costs SQLAlchemy more to build than the query to run.
    """
    dialect = session.get_bind().dialect
    if dialect.name == "postgresql":
        arrays = [
            bindparam(
                f"{name}_{each.name}",
                [row[index] for row in rows],
                type_=postgresql.ARRAY(each.type),
            )
            for index, each in enumerate(columns)
        ]
        return func.unnest(*arrays).table_valued(*columns).render_derived(name=name)
    # What SQLite stores for each value (dates and times as text), so comparisons with
    # stored columns hold.
    processors = [each.type.dialect_impl(dialect).bind_processor(dialect) for each in columns]
    payload = json.dumps(
        [
            [
                value if process is None else process(value)
                for process, value in zip(processors, row, strict=True)
            ]
            for row in rows
        ]
    )
    items = func.json_each(bindparam(f"{name}_rows", payload, type_=String)).table_valued("value")
    return (
        select(
            *(
                type_coerce(func.json_extract(items.c.value, f"$[{index}]"), each.type).label(
                    each.name
                )
                for index, each in enumerate(columns)
            )
        )
        .select_from(items)
        .cte(name)
    )


def instrument_times(
    session: Session,
    name: str,
    account_id: uuid.UUID,
    rows: Sequence[tuple[str, str, dt.datetime]],
) -> FromClause:
    """An account's instruments with a time each: the lookup table
    `name(account_id, asset_class, symbol, at)`.

    Join it on all four (with `at` as a bound) and leave the account out of the WHERE
    clause: then the only way into the instrument indexes is through this table, so SQLite,
    which has no statistics, walks it and looks each instrument up, instead of walking
    the account's rows and the table for each.
    """
    return lookup_table(
        session,
        name,
        (
            column("account_id", Uuid()),
            column("asset_class", String),
            column("symbol", String),
            column("at", UtcDateTime()),
        ),
        [(account_id, *row) for row in rows],
    )


def of_instruments(model: Any, table: FromClause) -> ColumnElement[bool]:
    """The join condition of `model`'s rows (an account's, by instrument) with a lookup
    table of `instrument_times`, apart from the time."""
    return and_(
        model.account_id == table.c.account_id,
        model.asset_class == table.c.asset_class,
        model.symbol == table.c.symbol,
    )
