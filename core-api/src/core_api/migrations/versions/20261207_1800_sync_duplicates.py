"""undoing an import: the executions a broker sync also brought

Revision ID: 5d2a8c41e7b9
Revises: 9e4b2c7d1f83
Create Date: 2026-12-07 18:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5d2a8c41e7b9"
down_revision: str | None = "9e4b2c7d1f83"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sync_duplicates",
        sa.Column("execution_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["execution_id"],
            ["executions.id"],
            name=op.f("fk_sync_duplicates_execution_id_executions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("execution_id", name=op.f("pk_sync_duplicates")),
    )


def downgrade() -> None:
    op.drop_table("sync_duplicates")
