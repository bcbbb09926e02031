"""MAE and MFE on positions

Revision ID: 2f7c9d0b4e61
Revises: 8b4d1f6e2a90
Create Date: 2026-11-26 12:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core_api.kit.types

revision: str = "2f7c9d0b4e61"
down_revision: str | None = "8b4d1f6e2a90"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_AMOUNTS = ("mae", "mfe", "mae_price", "mfe_price")


def upgrade() -> None:
    with op.batch_alter_table("positions", schema=None) as batch_op:
        for name in _AMOUNTS:
            batch_op.add_column(sa.Column(name, core_api.kit.types.ExactDecimal(), nullable=True))
        batch_op.add_column(sa.Column("excursion_interval", sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("positions", schema=None) as batch_op:
        batch_op.drop_column("excursion_interval")
        for name in reversed(_AMOUNTS):
            batch_op.drop_column(name)
