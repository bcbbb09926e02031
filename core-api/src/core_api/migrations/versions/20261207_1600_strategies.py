"""multi-leg strategies over positions, and each position's strategy

Revision ID: 7c2e5a9d1b40
Revises: 5c1d7e9a2b40
Create Date: 2026-12-07 16:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core_api.kit.types

revision: str = "7c2e5a9d1b40"
down_revision: str | None = "5c1d7e9a2b40"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_AMOUNT = core_api.kit.types.ExactDecimal
_TIME = core_api.kit.types.UtcDateTime


def upgrade() -> None:
    op.create_table(
        "strategies",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("underlying", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=6), nullable=False),
        sa.Column("opened_at", _TIME(timezone=True), nullable=False),
        sa.Column("closed_at", _TIME(timezone=True), nullable=True),
        sa.Column("opened_day", sa.Date(), nullable=True),
        sa.Column("closed_day", sa.Date(), nullable=True),
        sa.Column("realised_pnl_gross", _AMOUNT(), nullable=False),
        sa.Column("fees", _AMOUNT(), nullable=False),
        sa.Column("realised_pnl_net", _AMOUNT(), nullable=False),
        sa.Column("realised_pnl_net_base", _AMOUNT(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("outcome", sa.String(length=9), nullable=True),
        sa.Column("rolled_from_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", _TIME(timezone=True), nullable=False),
        sa.Column("updated_at", _TIME(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_strategies_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["rolled_from_id"],
            ["strategies.id"],
            name=op.f("fk_strategies_rolled_from_id_strategies"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_strategies_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_strategies")),
    )
    with op.batch_alter_table("strategies") as batch:
        batch.create_index("ix_strategies_user_opened", ["user_id", "opened_at", "id"])
        batch.create_index("ix_strategies_account_underlying", ["account_id", "underlying"])
        batch.create_index(batch.f("ix_strategies_rolled_from_id"), ["rolled_from_id"])
    # Nullable: positions are grouped when their account's positions are next rebuilt.
    with op.batch_alter_table("positions") as batch:
        batch.add_column(sa.Column("strategy_id", sa.Uuid(), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_positions_strategy_id_strategies"),
            "strategies",
            ["strategy_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_index(batch.f("ix_positions_strategy_id"), ["strategy_id"])
        batch.create_index("ix_positions_account_underlying", ["account_id", "underlying"])


def downgrade() -> None:
    with op.batch_alter_table("positions") as batch:
        batch.drop_index("ix_positions_account_underlying")
        batch.drop_index(batch.f("ix_positions_strategy_id"))
        batch.drop_constraint(batch.f("fk_positions_strategy_id_strategies"), type_="foreignkey")
        batch.drop_column("strategy_id")
    op.drop_table("strategies")
