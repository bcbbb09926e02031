"""trading plans, their versions, and violations

Revision ID: 3c7d9e1a5b24
Revises: b5e8a2c14f67
Create Date: 2026-11-26 11:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core_api.kit.types

revision: str = "3c7d9e1a5b24"
down_revision: str | None = "b5e8a2c14f67"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _entity() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", core_api.kit.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", core_api.kit.types.UtcDateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "trading_plans",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        *_entity(),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_trading_plans_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trading_plans")),
        sa.UniqueConstraint("user_id", name=op.f("uq_trading_plans_user_id")),
    )
    op.create_table(
        "plan_versions",
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("effective_from", core_api.kit.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("faults", sa.JSON(), nullable=False),
        *_entity(),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["trading_plans.id"],
            name=op.f("fk_plan_versions_plan_id_trading_plans"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_plan_versions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_versions")),
        sa.UniqueConstraint("plan_id", "version", name=op.f("uq_plan_versions_plan_id_version")),
    )
    with op.batch_alter_table("plan_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_versions_user_id"), ["user_id"], unique=False)
    op.create_table(
        "violations",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("rule_id", sa.Uuid(), nullable=False),
        sa.Column("rule_kind", sa.String(length=32), nullable=False),
        sa.Column("plan_version", sa.Integer(), nullable=False),
        sa.Column("position_id", sa.Uuid(), nullable=True),
        sa.Column("execution_id", sa.Uuid(), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("observed", sa.String(length=200), nullable=False),
        sa.Column("allowed", sa.String(length=200), nullable=False),
        sa.Column("cost", core_api.kit.types.ExactDecimal(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("detected_at", core_api.kit.types.UtcDateTime(timezone=True), nullable=False),
        *_entity(),
        sa.ForeignKeyConstraint(
            ["position_id"],
            ["positions.id"],
            name=op.f("fk_violations_position_id_positions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_violations_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_violations")),
        sa.UniqueConstraint("user_id", "key", name=op.f("uq_violations_user_id_key")),
    )
    with op.batch_alter_table("violations", schema=None) as batch_op:
        batch_op.create_index("ix_violations_user_day", ["user_id", "day"], unique=False)
        batch_op.create_index(
            "ix_violations_user_detected", ["user_id", "detected_at", "id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_violations_position_id"), ["position_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("violations")
    op.drop_table("plan_versions")
    op.drop_table("trading_plans")
