"""position trading days, underlying, base-currency P&L, tags and stop history

Revision ID: 7c2e41d9b0a5
Revises: f1a432c63651
Create Date: 2026-11-26 09:00:00
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

import core_api.kit.types

revision: str = "7c2e41d9b0a5"
down_revision: str | None = "f1a432c63651"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The trading-day rule as of this revision (a migration must not change with later code).
_CHICAGO = ZoneInfo("America/Chicago")


def _day(at: dt.datetime, asset_class: str, zone: str) -> dt.date:
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    if asset_class in ("future", "future_option"):
        return (at.astimezone(_CHICAGO) + dt.timedelta(hours=7)).date()
    return at.astimezone(ZoneInfo(zone)).date()


def upgrade() -> None:
    with op.batch_alter_table("positions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("underlying", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("opened_day", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("closed_day", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("realised_pnl_net_base", core_api.kit.types.ExactDecimal(), nullable=True)
        )
        batch_op.create_index("ix_positions_user_opened_day", ["user_id", "opened_day"])
    op.create_table(
        "position_tags",
        sa.Column("position_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.ForeignKeyConstraint(
            ["position_id"],
            ["positions.id"],
            name=op.f("fk_position_tags_position_id_positions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("position_id", "name", name=op.f("pk_position_tags")),
    )
    with op.batch_alter_table("position_tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_position_tags_name"), ["name"], unique=False)
    op.create_table(
        "position_stops",
        sa.Column("position_id", sa.Uuid(), nullable=False),
        sa.Column("stop", core_api.kit.types.ExactDecimal(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", core_api.kit.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", core_api.kit.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["position_id"],
            ["positions.id"],
            name=op.f("fk_position_stops_position_id_positions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_position_stops")),
    )
    with op.batch_alter_table("position_stops", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_position_stops_position_id"), ["position_id"], unique=False
        )
    _backfill_days()


def _backfill_days() -> None:
    positions = sa.table(
        "positions",
        sa.column("id", sa.Uuid()),
        sa.column("account_id", sa.Uuid()),
        sa.column("asset_class", sa.String()),
        sa.column("opened_at", core_api.kit.types.UtcDateTime(timezone=True)),
        sa.column("closed_at", core_api.kit.types.UtcDateTime(timezone=True)),
        sa.column("opened_day", sa.Date()),
        sa.column("closed_day", sa.Date()),
    )
    accounts = sa.table("accounts", sa.column("id", sa.Uuid()), sa.column("time_zone", sa.String()))
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(
            positions.c.id,
            positions.c.asset_class,
            positions.c.opened_at,
            positions.c.closed_at,
            accounts.c.time_zone,
        ).join(accounts, accounts.c.id == positions.c.account_id)
    ).all()
    for row in rows:
        connection.execute(
            positions.update()
            .where(positions.c.id == row.id)
            .values(
                opened_day=_day(row.opened_at, row.asset_class, row.time_zone),
                closed_day=(
                    _day(row.closed_at, row.asset_class, row.time_zone) if row.closed_at else None
                ),
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("position_stops", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_position_stops_position_id"))
    op.drop_table("position_stops")
    with op.batch_alter_table("position_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_position_tags_name"))
    op.drop_table("position_tags")
    with op.batch_alter_table("positions", schema=None) as batch_op:
        batch_op.drop_index("ix_positions_user_opened_day")
        batch_op.drop_column("realised_pnl_net_base")
        batch_op.drop_column("closed_day")
        batch_op.drop_column("opened_day")
        batch_op.drop_column("underlying")
