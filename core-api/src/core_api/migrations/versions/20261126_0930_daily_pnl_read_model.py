"""daily P&L read model per account, instrument and trading day

Revision ID: 9d41f0c7e2b3
Revises: 7c2e41d9b0a5
Create Date: 2026-11-26 09:30:00
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from alembic import op

import core_api.kit.types

revision: str = "9d41f0c7e2b3"
down_revision: str | None = "7c2e41d9b0a5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_AMOUNTS = ("net", "gross", "fees", "win_total", "loss_total")


def upgrade() -> None:
    op.create_table(
        "daily_pnl",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("asset_class", sa.String(length=16), nullable=False),
        sa.Column("symbol", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("trades", sa.Integer(), nullable=False),
        sa.Column("wins", sa.Integer(), nullable=False),
        sa.Column("losses", sa.Integer(), nullable=False),
        *(sa.Column(name, core_api.kit.types.ExactDecimal(), nullable=False) for name in _AMOUNTS),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_daily_pnl_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_daily_pnl_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint(
            "account_id", "asset_class", "symbol", "day", name=op.f("pk_daily_pnl")
        ),
    )
    with op.batch_alter_table("daily_pnl", schema=None) as batch_op:
        batch_op.create_index("ix_daily_pnl_user_day", ["user_id", "day"], unique=False)
    _backfill()


def _backfill() -> None:
    decimal = core_api.kit.types.ExactDecimal()
    positions = sa.table(
        "positions",
        sa.column("user_id", sa.Uuid()),
        sa.column("account_id", sa.Uuid()),
        sa.column("asset_class", sa.String()),
        sa.column("symbol", sa.String()),
        sa.column("status", sa.String()),
        sa.column("closed_day", sa.Date()),
        sa.column("outcome", sa.String()),
        sa.column("realised_pnl_net", decimal),
        sa.column("realised_pnl_net_base", decimal),
        sa.column("realised_pnl_gross", decimal),
        sa.column("fees", decimal),
    )
    daily = sa.table(
        "daily_pnl",
        *(sa.column(name) for name in ("account_id", "asset_class", "symbol", "day", "user_id")),
        *(sa.column(name) for name in ("trades", "wins", "losses")),
        *(sa.column(name, decimal) for name in _AMOUNTS),
    )
    connection = op.get_bind()
    rows: dict[tuple[Any, ...], dict[str, Any]] = {}
    for p in connection.execute(sa.select(positions).where(positions.c.status == "closed")):
        key = (p.account_id, p.asset_class, p.symbol, p.closed_day)
        row = rows.setdefault(
            key,
            {
                "account_id": p.account_id,
                "asset_class": p.asset_class,
                "symbol": p.symbol,
                "day": p.closed_day,
                "user_id": p.user_id,
                "trades": 0,
                "wins": 0,
                "losses": 0,
                **{name: Decimal(0) for name in _AMOUNTS},
            },
        )
        net = p.realised_pnl_net_base if p.realised_pnl_net_base is not None else p.realised_pnl_net
        row["trades"] += 1
        row["net"] += net
        row["gross"] += p.realised_pnl_gross
        row["fees"] += p.fees
        if p.outcome == "win":
            row["wins"] += 1
            row["win_total"] += net
        elif p.outcome == "loss":
            row["losses"] += 1
            row["loss_total"] += net
    if rows:
        connection.execute(daily.insert(), list(rows.values()))


def downgrade() -> None:
    with op.batch_alter_table("daily_pnl", schema=None) as batch_op:
        batch_op.drop_index("ix_daily_pnl_user_day")
    op.drop_table("daily_pnl")
