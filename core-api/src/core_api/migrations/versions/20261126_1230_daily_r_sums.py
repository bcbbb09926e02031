"""R multiple sums in the daily P&L tables, for expectancy in R

Revision ID: 8b4d1f6e2a90
Revises: 5e2f8a9c3d17
Create Date: 2026-11-26 12:30:00
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import sqlalchemy as sa
from alembic import op

import core_api.kit.types

revision: str = "8b4d1f6e2a90"
down_revision: str | None = "5e2f8a9c3d17"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ("daily_pnl", "daily_account_pnl")


def upgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("trades_with_r", sa.Integer(), server_default="0", nullable=False)
            )
            batch_op.add_column(
                sa.Column(
                    "r_total",
                    core_api.kit.types.ExactDecimal(),
                    server_default="0",
                    nullable=False,
                )
            )
    _backfill()


def _backfill() -> None:
    decimal = core_api.kit.types.ExactDecimal()
    positions = sa.table(
        "positions",
        sa.column("account_id", sa.Uuid()),
        sa.column("asset_class", sa.String()),
        sa.column("symbol", sa.String()),
        sa.column("status", sa.String()),
        sa.column("closed_day", sa.Date()),
        sa.column("instrument", sa.JSON()),
        sa.column("realised_pnl_net", decimal),
        sa.column("avg_entry_price", decimal),
        sa.column("max_quantity", decimal),
        sa.column("initial_stop", decimal),
    )
    connection = op.get_bind()
    per_instrument: dict[tuple[Any, ...], list[Any]] = {}
    per_account: dict[tuple[Any, ...], list[Any]] = {}
    closed_with_stop = sa.select(positions).where(
        positions.c.status == "closed", positions.c.initial_stop.is_not(None)
    )
    for p in connection.execute(closed_with_stop):
        multiplier = Decimal(str((p.instrument or {}).get("multiplier", "1")))
        risk = abs(p.avg_entry_price - p.initial_stop) * p.max_quantity * multiplier
        if risk == 0:
            continue
        r = (p.realised_pnl_net / risk).quantize(Decimal("0.0001"), rounding=ROUND_HALF_EVEN)
        for sums, key in (
            (per_instrument, (p.account_id, p.asset_class, p.symbol, p.closed_day)),
            (per_account, (p.account_id, p.closed_day)),
        ):
            found = sums.setdefault(key, [0, Decimal(0)])
            found[0] += 1
            found[1] += r
    _write(connection, "daily_pnl", ("account_id", "asset_class", "symbol", "day"), per_instrument)
    _write(connection, "daily_account_pnl", ("account_id", "day"), per_account)


def _write(
    connection: sa.Connection,
    name: str,
    key_columns: tuple[str, ...],
    sums: dict[tuple[Any, ...], list[Any]],
) -> None:
    if not sums:
        return
    table = sa.table(
        name,
        *(sa.column(column) for column in key_columns),
        sa.column("trades_with_r", sa.Integer()),
        sa.column("r_total", core_api.kit.types.ExactDecimal()),
    )
    statement = (
        sa.update(table)
        .where(*(table.c[column] == sa.bindparam(f"key_{column}") for column in key_columns))
        .values(trades_with_r=sa.bindparam("count"), r_total=sa.bindparam("total"))
    )
    connection.execute(
        statement,
        [
            {
                **{f"key_{column}": value for column, value in zip(key_columns, key, strict=True)},
                "count": count,
                "total": total,
            }
            for key, (count, total) in sums.items()
        ],
    )


def downgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("r_total")
            batch_op.drop_column("trades_with_r")
