"""broker connections and their sealed secrets

Revision ID: 8b1f4c7e2a90
Revises: 2f7c9d0b4e61
Create Date: 2026-11-26 13:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core_api.kit.types

revision: str = "8b1f4c7e2a90"
down_revision: str | None = "2f7c9d0b4e61"
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
        "broker_connections",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("broker", sa.String(length=32), nullable=False),
        sa.Column("environment", sa.String(length=16), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_detail", sa.String(length=64), nullable=True),
        sa.Column("last_synced_at", core_api.kit.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column(
            "sync_requested_at", core_api.kit.types.UtcDateTime(timezone=True), nullable=True
        ),
        sa.Column("cursor", sa.String(length=512), nullable=True),
        *_entity(),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_broker_connections_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_broker_connections_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broker_connections")),
    )
    op.create_index(
        op.f("ix_broker_connections_user_id"), "broker_connections", ["user_id"], unique=False
    )
    op.create_index(
        op.f("ix_broker_connections_account_id"), "broker_connections", ["account_id"], unique=False
    )
    op.create_index(
        "ix_broker_connections_status_synced",
        "broker_connections",
        ["status", "last_synced_at"],
        unique=False,
    )
    op.create_table(
        "broker_secrets",
        sa.Column("connection_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("blob", sa.LargeBinary(), nullable=False),
        *_entity(),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["broker_connections.id"],
            name=op.f("fk_broker_secrets_connection_id_broker_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broker_secrets")),
        sa.UniqueConstraint(
            "connection_id", "kind", name=op.f("uq_broker_secrets_connection_id_kind")
        ),
    )


def downgrade() -> None:
    op.drop_table("broker_secrets")
    op.drop_index("ix_broker_connections_status_synced", table_name="broker_connections")
    op.drop_index(op.f("ix_broker_connections_account_id"), table_name="broker_connections")
    op.drop_index(op.f("ix_broker_connections_user_id"), table_name="broker_connections")
    op.drop_table("broker_connections")
