"""daily P&L per account, and indexes for rematching from a time on

Revision ID: 5e2f8a9c3d17
Revises: 3c7d9e1a5b24
Create Date: 2026-11-26 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from alembic import op

import core_api.kit.types

revision: str = "5e2f8a9c3d17"
down_revision: str | None = "3c7d9e1a5b24"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COUNTS = ("trades", "wins", "losses")
_AMOUNTS = ("net", "gross", "fees", "win_total", "loss_total")


def upgrade() -> None:
    op.create_table(
        "daily_account_pnl",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in _COUNTS),
        *(sa.Column(name, core_api.kit.types.ExactDecimal(), nullable=False) for name in _AMOUNTS),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_daily_account_pnl_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_daily_account_pnl_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "day", name=op.f("pk_daily_account_pnl")),
    )
    with op.batch_alter_table("daily_account_pnl", schema=None) as batch_op:
        batch_op.create_index("ix_daily_account_pnl_user_day", ["user_id", "day"], unique=False)
    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_executions_account_instrument_time",
            ["account_id", "asset_class", "symbol", "executed_at"],
            unique=False,
        )
    with op.batch_alter_table("positions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_positions_account_instrument_closed",
            ["account_id", "asset_class", "symbol", "closed_at"],
            unique=False,
        )
    _backfill()


def _backfill() -> None:
    def table(name: str) -> sa.TableClause:
        return sa.table(
            name,
            *(sa.column(column) for column in ("account_id", "day", "user_id", *_COUNTS)),
            *(sa.column(column, core_api.kit.types.ExactDecimal()) for column in _AMOUNTS),
        )

    daily, daily_account = table("daily_pnl"), table("daily_account_pnl")
    connection = op.get_bind()
    rows: dict[tuple[Any, ...], dict[str, Any]] = {}
    for found in connection.execute(sa.select(daily)):
        row = rows.setdefault(
            (found.account_id, found.day),
            {
                "account_id": found.account_id,
                "day": found.day,
                "user_id": found.user_id,
                **dict.fromkeys(_COUNTS, 0),
                **{name: Decimal(0) for name in _AMOUNTS},
            },
        )
        for name in (*_COUNTS, *_AMOUNTS):
            row[name] += getattr(found, name)
    if rows:
        connection.execute(daily_account.insert(), list(rows.values()))


def downgrade() -> None:
    with op.batch_alter_table("positions", schema=None) as batch_op:
        batch_op.drop_index("ix_positions_account_instrument_closed")
    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.drop_index("ix_executions_account_instrument_time")
    with op.batch_alter_table("daily_account_pnl", schema=None) as batch_op:
        batch_op.drop_index("ix_daily_account_pnl_user_day")
    op.drop_table("daily_account_pnl")
