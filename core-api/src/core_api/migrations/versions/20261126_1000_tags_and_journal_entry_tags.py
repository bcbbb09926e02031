"""tags per trader and journal entry tag rows

Revision ID: b5e8a2c14f67
Revises: 9d41f0c7e2b3
Create Date: 2026-11-26 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core_api.kit.types

revision: str = "b5e8a2c14f67"
down_revision: str | None = "9d41f0c7e2b3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tags",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("key", sa.String(length=50), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", core_api.kit.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", core_api.kit.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_tags_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tags")),
        sa.UniqueConstraint("user_id", "key", name=op.f("uq_tags_user_id_key")),
    )
    op.create_table(
        "journal_entry_tags",
        sa.Column("entry_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["journal_entries.id"],
            name=op.f("fk_journal_entry_tags_entry_id_journal_entries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("entry_id", "name", name=op.f("pk_journal_entry_tags")),
    )
    with op.batch_alter_table("journal_entry_tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_journal_entry_tags_name"), ["name"], unique=False)
    entries = sa.table("journal_entries", sa.column("id", sa.Uuid()), sa.column("tags", sa.JSON()))
    entry_tags = sa.table(
        "journal_entry_tags", sa.column("entry_id", sa.Uuid()), sa.column("name", sa.String())
    )
    connection = op.get_bind()
    rows = {
        (entry.id, tag.lower()): {"entry_id": entry.id, "name": tag.lower()}
        for entry in connection.execute(sa.select(entries))
        for tag in entry.tags or []
    }
    if rows:
        connection.execute(entry_tags.insert(), list(rows.values()))


def downgrade() -> None:
    with op.batch_alter_table("journal_entry_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_journal_entry_tags_name"))
    op.drop_table("journal_entry_tags")
    op.drop_table("tags")
