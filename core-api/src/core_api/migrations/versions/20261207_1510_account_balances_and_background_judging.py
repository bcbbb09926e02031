"""account balances, cash movements, plans judged in the background

Revision ID: 5c1d7e9a2b40
Revises: 7c4e2a9b1d63
Create Date: 2026-12-07 15:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core_api.kit.types

revision: str = "5c1d7e9a2b40"
down_revision: str | None = "7c4e2a9b1d63"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("starting_balance", core_api.kit.types.ExactDecimal(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("risk_unit", core_api.kit.types.ExactDecimal(), nullable=True)
        )
    op.create_table(
        "cash_movements",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("occurred_at", core_api.kit.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("amount", core_api.kit.types.ExactDecimal(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", core_api.kit.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", core_api.kit.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_cash_movements_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cash_movements")),
    )
    op.create_index(
        "ix_cash_movements_account_occurred",
        "cash_movements",
        ["account_id", "occurred_at"],
        unique=False,
    )
    with op.batch_alter_table("trading_plans", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("evaluation", sa.String(length=8), server_default="judged", nullable=False)
        )
        batch_op.add_column(sa.Column("judged_version", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("judging_round", sa.Integer(), server_default="0", nullable=False)
        )
    # Plans saved so far were judged inside the request that saved them.
    op.execute("UPDATE trading_plans SET judged_version = current_version")


def downgrade() -> None:
    with op.batch_alter_table("trading_plans", schema=None) as batch_op:
        batch_op.drop_column("judging_round")
        batch_op.drop_column("judged_version")
        batch_op.drop_column("evaluation")
    op.drop_index("ix_cash_movements_account_occurred", table_name="cash_movements")
    op.drop_table("cash_movements")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("risk_unit")
        batch_op.drop_column("starting_balance")
