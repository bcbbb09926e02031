"""fee schedules per account, and where each execution's costs came from

Revision ID: 9e4b2c7d1a58
Revises: 3e8b1f6a9c52
Create Date: 2026-12-07 17:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core_api.kit.types

revision: str = "9e4b2c7d1a58"
down_revision: str | None = "3e8b1f6a9c52"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_AMOUNT = core_api.kit.types.ExactDecimal
_TIME = core_api.kit.types.UtcDateTime


def upgrade() -> None:
    op.create_table(
        "fee_rules",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("asset_class", sa.String(length=16), nullable=False),
        sa.Column("root", sa.String(length=32), nullable=True),
        sa.Column("per_contract", _AMOUNT(), nullable=False),
        sa.Column("per_share", _AMOUNT(), nullable=False),
        sa.Column("per_order", _AMOUNT(), nullable=False),
        sa.Column("minimum", _AMOUNT(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", _TIME(timezone=True), nullable=False),
        sa.Column("updated_at", _TIME(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_fee_rules_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fee_rules")),
    )
    with op.batch_alter_table("fee_rules") as batch:
        batch.create_index("ix_fee_rules_account_rank", ["account_id", "rank"])
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("fee_schedule_updated_at", _TIME(timezone=True), nullable=True))
    with op.batch_alter_table("executions") as batch:
        batch.add_column(
            sa.Column("fee_source", sa.String(length=8), nullable=False, server_default="broker")
        )
    # Fills stored before reported no costs when both are zero.
    op.execute("UPDATE executions SET fee_source = 'none' WHERE commission = 0 AND fees = 0")


def downgrade() -> None:
    with op.batch_alter_table("executions") as batch:
        batch.drop_column("fee_source")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("fee_schedule_updated_at")
    op.drop_table("fee_rules")
