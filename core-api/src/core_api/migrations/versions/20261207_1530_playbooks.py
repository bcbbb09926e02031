"""playbooks, their criteria, and the playbook and ticked criteria of positions

Revision ID: 7c4e2a9b1d63
Revises: 3f6c1d2e9a07
Create Date: 2026-12-07 15:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core_api.kit.types

revision: str = "7c4e2a9b1d63"
down_revision: str | None = "3f6c1d2e9a07"
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
        "playbooks",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("archived", sa.Boolean(), nullable=False),
        *_entity(),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_playbooks_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playbooks")),
        sa.UniqueConstraint("user_id", "key", name=op.f("uq_playbooks_user_id_key")),
    )
    op.create_table(
        "playbook_criteria",
        sa.Column("playbook_id", sa.Uuid(), nullable=False),
        sa.Column("text", sa.String(length=200), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        *_entity(),
        sa.ForeignKeyConstraint(
            ["playbook_id"],
            ["playbooks.id"],
            name=op.f("fk_playbook_criteria_playbook_id_playbooks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playbook_criteria")),
    )
    op.create_index(
        op.f("ix_playbook_criteria_playbook_id"), "playbook_criteria", ["playbook_id"], unique=False
    )
    op.create_table(
        "position_playbooks",
        sa.Column("position_id", sa.Uuid(), nullable=False),
        sa.Column("playbook_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["position_id"],
            ["positions.id"],
            name=op.f("fk_position_playbooks_position_id_positions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["playbook_id"],
            ["playbooks.id"],
            name=op.f("fk_position_playbooks_playbook_id_playbooks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("position_id", name=op.f("pk_position_playbooks")),
    )
    op.create_index(
        op.f("ix_position_playbooks_playbook_id"),
        "position_playbooks",
        ["playbook_id"],
        unique=False,
    )
    op.create_table(
        "position_criteria",
        sa.Column("position_id", sa.Uuid(), nullable=False),
        sa.Column("criterion_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["position_id"],
            ["position_playbooks.position_id"],
            name=op.f("fk_position_criteria_position_id_position_playbooks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["criterion_id"],
            ["playbook_criteria.id"],
            name=op.f("fk_position_criteria_criterion_id_playbook_criteria"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("position_id", "criterion_id", name=op.f("pk_position_criteria")),
    )
    op.create_index(
        op.f("ix_position_criteria_criterion_id"),
        "position_criteria",
        ["criterion_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_position_criteria_criterion_id"), table_name="position_criteria")
    op.drop_table("position_criteria")
    op.drop_index(op.f("ix_position_playbooks_playbook_id"), table_name="position_playbooks")
    op.drop_table("position_playbooks")
    op.drop_index(op.f("ix_playbook_criteria_playbook_id"), table_name="playbook_criteria")
    op.drop_table("playbook_criteria")
    op.drop_table("playbooks")
