"""undoing an import: when it was undone, and the executions each import also brought

Revision ID: 9e4b2c7d1f83
Revises: 9e4b2c7d1a58
Create Date: 2026-12-07 17:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core_api.kit.types

revision: str = "9e4b2c7d1f83"
down_revision: str | None = "9e4b2c7d1a58"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("imports") as batch:
        batch.add_column(sa.Column("undone_at", core_api.kit.types.UtcDateTime(), nullable=True))
    op.create_table(
        "import_duplicates",
        sa.Column("import_id", sa.Uuid(), nullable=False),
        sa.Column("execution_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["execution_id"],
            ["executions.id"],
            name=op.f("fk_import_duplicates_execution_id_executions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["imports.id"],
            name=op.f("fk_import_duplicates_import_id_imports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("import_id", "execution_id", name=op.f("pk_import_duplicates")),
    )
    with op.batch_alter_table("import_duplicates") as batch:
        batch.create_index(
            batch.f("ix_import_duplicates_execution_id"), ["execution_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("import_duplicates")
    with op.batch_alter_table("imports") as batch:
        batch.drop_column("undone_at")
