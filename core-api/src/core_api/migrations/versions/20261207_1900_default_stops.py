"""default stop rules of accounts and playbooks, and the stop they give each position

Revision ID: 4d7a2c9e6b18
Revises: 5d2a8c41e7b9
Create Date: 2026-12-07 19:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core_api.kit.types

revision: str = "4d7a2c9e6b18"
down_revision: str | None = "5d2a8c41e7b9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_AMOUNT = core_api.kit.types.ExactDecimal


def upgrade() -> None:
    # No rule exists yet, so no position has a rule's stop: nothing to backfill.
    for table in ("accounts", "playbooks"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("default_stop_kind", sa.String(length=8), nullable=True))
            batch.add_column(sa.Column("default_stop_distance", _AMOUNT(), nullable=True))
    with op.batch_alter_table("positions") as batch:
        batch.add_column(sa.Column("rule_stop", _AMOUNT(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("positions") as batch:
        batch.drop_column("rule_stop")
    for table in ("playbooks", "accounts"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("default_stop_distance")
            batch.drop_column("default_stop_kind")
