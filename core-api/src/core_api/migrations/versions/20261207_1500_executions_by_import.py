"""executions found by their import; two indexes that a longer one already covers dropped

An import settles once, from the executions it stored: they are found by import id, an
instrument's earliest fill read from the index alone. `ix_executions_account_instrument`
and `ix_positions_account_instrument` are the leading columns of the instrument-and-time
and instrument-and-close indexes, which answer the same lookups: each was one more index
to write per stored fill and position.

Revision ID: c3e1b7a90d24
Revises: 7c2e5a9d1b40
Create Date: 2026-12-07 15:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "c3e1b7a90d24"
down_revision: str | None = "7c2e5a9d1b40"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_executions_import_instrument_time",
            ["import_id", "asset_class", "symbol", "executed_at"],
            unique=False,
        )
        batch_op.drop_index("ix_executions_account_instrument")
    with op.batch_alter_table("positions", schema=None) as batch_op:
        batch_op.drop_index("ix_positions_account_instrument")


def downgrade() -> None:
    with op.batch_alter_table("positions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_positions_account_instrument", ["account_id", "asset_class", "symbol"], unique=False
        )
    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_executions_account_instrument",
            ["account_id", "asset_class", "symbol"],
            unique=False,
        )
        batch_op.drop_index("ix_executions_import_instrument_time")
