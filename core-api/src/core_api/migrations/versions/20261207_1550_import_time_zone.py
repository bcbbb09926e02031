"""the zone an import's times without an offset are read in

Revision ID: 3f6c1d2e9a07
Revises: a51fa66763be
Create Date: 2026-12-07 15:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3f6c1d2e9a07"
down_revision: str | None = "a51fa66763be"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable: imports uploaded before were read in the workers' default zone.
    with op.batch_alter_table("imports") as batch:
        batch.add_column(sa.Column("time_zone", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("imports") as batch:
        batch.drop_column("time_zone")
