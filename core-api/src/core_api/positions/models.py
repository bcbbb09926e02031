"""Positions and which share of which execution belongs to them."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, ForeignKey, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from core_api.kit.models import Base, Entity


class PositionRecord(Entity):
    __tablename__ = "positions"
    __table_args__ = (
        Index("ix_positions_user_opened", "user_id", "opened_at", "id"),
        # A rematch finds an instrument's positions closed before its earliest new fill.
        Index(
            "ix_positions_account_instrument_closed",
            "account_id",
            "asset_class",
            "symbol",
            "closed_at",
        ),
        Index("ix_positions_user_opened_day", "user_id", "opened_day"),
        # Strategies regroup an underlying's positions.
        Index("ix_positions_account_underlying", "account_id", "underlying"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    # A position keeps its id across rematches as long as the same fill opens it.
    opening_execution_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("executions.id", ondelete="CASCADE"), unique=True
    )
    asset_class: Mapped[str] = mapped_column(String(16))
    symbol: Mapped[str] = mapped_column(String(64))
    instrument: Mapped[dict[str, Any]]
    # The option's underlying or the future's root, so a symbol filter finds derivatives too.
    underlying: Mapped[str | None] = mapped_column(String(32))
    direction: Mapped[str] = mapped_column(String(5))
    status: Mapped[str] = mapped_column(String(6))
    opened_at: Mapped[dt.datetime]
    closed_at: Mapped[dt.datetime | None]
    # Trading days (see instruments.sessions), kept so filters and statistics need no zones.
    opened_day: Mapped[dt.date | None]
    closed_day: Mapped[dt.date | None]
    open_quantity: Mapped[Decimal]
    max_quantity: Mapped[Decimal]
    avg_entry_price: Mapped[Decimal]
    avg_exit_price: Mapped[Decimal | None]
    realised_pnl_gross: Mapped[Decimal]
    fees: Mapped[Decimal]
    realised_pnl_net: Mapped[Decimal]
    realised_pnl_net_base: Mapped[Decimal | None]
    currency: Mapped[str] = mapped_column(String(3))
    holding_seconds: Mapped[int | None]
    outcome: Mapped[str | None] = mapped_column(String(9))
    execution_count: Mapped[int]
    # The trader's stop, and the one the default stop rule gives (see positions.stops):
    # R reads the trader's when there is one.
    initial_stop: Mapped[Decimal | None]
    rule_stop: Mapped[Decimal | None]
    tags: Mapped[list[str]] = mapped_column(default=list)
    # MAE/MFE from complete bars (workers compute them); None while unknown.
    mae: Mapped[Decimal | None]
    mfe: Mapped[Decimal | None]
    mae_price: Mapped[Decimal | None]
    mfe_price: Mapped[Decimal | None]
    excursion_interval: Mapped[str | None] = mapped_column(String(8))
    # The multi-leg strategy this position is a leg of (see strategies.grouping).
    strategy_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("strategies.id", ondelete="SET NULL"), index=True
    )


def effective_stop_column(columns: Any) -> ColumnElement[Any]:
    """The initial stop R reads, in SQL, over the positions table's `columns`: the trader's,
    else the default rule's (see positions.stops)."""
    return func.coalesce(columns.initial_stop, columns.rule_stop)


class PositionFillRecord(Base):
    __tablename__ = "position_fills"

    position_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("positions.id", ondelete="CASCADE"), primary_key=True
    )
    execution_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("executions.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    quantity: Mapped[Decimal]


class PositionTagRecord(Base):
    """One tag of a position (lower case), a row each so lists filter by tag on both databases."""

    __tablename__ = "position_tags"

    position_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("positions.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(50), primary_key=True, index=True)


class PositionStopRecord(Entity):
    """A stop the trader set on a position; the first one is the initial stop R uses."""

    __tablename__ = "position_stops"

    position_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("positions.id", ondelete="CASCADE"), index=True
    )
    stop: Mapped[Decimal]
