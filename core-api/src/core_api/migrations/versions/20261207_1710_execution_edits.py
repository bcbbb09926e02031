"""the trader's edits over fills, kept by the fill's identity; each fill's source and note

Revision ID: 3e8b1f6a9c52
Revises: c3e1b7a90d24
Create Date: 2026-12-07 17:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core_api.kit.types

revision: str = "3e8b1f6a9c52"
down_revision: str | None = "c3e1b7a90d24"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = core_api.kit.types.UtcDateTime


def upgrade() -> None:
    op.create_table(
        "execution_edits",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("broker_execution_id", sa.String(length=128), nullable=True),
        sa.Column("fingerprint", sa.String(length=128), nullable=True),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", _TIME(timezone=True), nullable=False),
        sa.Column("updated_at", _TIME(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_execution_edits_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_execution_edits_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_execution_edits")),
        sa.UniqueConstraint(
            "account_id",
            "broker_execution_id",
            name=op.f("uq_execution_edits_account_id_broker_execution_id"),
        ),
        sa.UniqueConstraint(
            "account_id", "fingerprint", name=op.f("uq_execution_edits_account_id_fingerprint")
        ),
    )
    with op.batch_alter_table("execution_edits") as batch:
        batch.create_index(batch.f("ix_execution_edits_user_id"), ["user_id"])
    # Fills stored before came from imports or broker syncs; the latter had no import.
    with op.batch_alter_table("executions") as batch:
        batch.add_column(
            sa.Column("source", sa.String(length=8), nullable=False, server_default="import")
        )
        batch.add_column(sa.Column("note", sa.Text(), nullable=True))
    op.execute("UPDATE executions SET source = 'broker' WHERE import_id IS NULL")
    with op.batch_alter_table("executions") as batch:
        batch.alter_column("source", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("executions") as batch:
        batch.drop_column("note")
        batch.drop_column("source")
    op.drop_table("execution_edits")
