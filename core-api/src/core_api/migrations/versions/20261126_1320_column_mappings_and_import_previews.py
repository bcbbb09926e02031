"""saved column mappings, previews of imports waiting for one, and the mapping of an import

Revision ID: 6e9b3a1d7f42
Revises: 4d6a2e8f1c35
Create Date: 2026-11-26 13:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core_api.kit.types

revision: str = "6e9b3a1d7f42"
down_revision: str | None = "4d6a2e8f1c35"
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
        "column_mappings",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=False),
        *_entity(),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_column_mappings_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_column_mappings_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_column_mappings")),
        sa.UniqueConstraint("account_id", "name", name=op.f("uq_column_mappings_account_id_name")),
    )
    op.create_index(
        op.f("ix_column_mappings_user_id"), "column_mappings", ["user_id"], unique=False
    )
    op.create_table(
        "import_previews",
        sa.Column("import_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("preview", sa.JSON(), nullable=False),
        *_entity(),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["imports.id"],
            name=op.f("fk_import_previews_import_id_imports"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_import_previews_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_previews")),
        sa.UniqueConstraint("import_id", name=op.f("uq_import_previews_import_id")),
    )
    op.create_index(
        op.f("ix_import_previews_user_id"), "import_previews", ["user_id"], unique=False
    )
    with op.batch_alter_table("imports") as batch:
        batch.add_column(sa.Column("mapping", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("imports") as batch:
        batch.drop_column("mapping")
    op.drop_index(op.f("ix_import_previews_user_id"), table_name="import_previews")
    op.drop_table("import_previews")
    op.drop_index(op.f("ix_column_mappings_user_id"), table_name="column_mappings")
    op.drop_table("column_mappings")
