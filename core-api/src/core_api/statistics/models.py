"""The statistics read model: closed-position results per account, instrument and day."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from core_api.kit.models import Base


class DailyPnlRecord(Base):
    """Sums over the positions of one instrument that closed on one trading day."""

    __tablename__ = "daily_pnl"
    __table_args__ = (Index("ix_daily_pnl_user_day", "user_id", "day"),)

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    asset_class: Mapped[str] = mapped_column(String(16), primary_key=True)
    symbol: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[dt.date] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    trades: Mapped[int]
    wins: Mapped[int]
    losses: Mapped[int]
    net: Mapped[Decimal]
    gross: Mapped[Decimal]
    fees: Mapped[Decimal]
    win_total: Mapped[Decimal]
    loss_total: Mapped[Decimal]
    # Positions with an R (an initial stop) and the sum of their R multiples.
    trades_with_r: Mapped[int] = mapped_column(server_default="0")
    r_total: Mapped[Decimal] = mapped_column(server_default="0")


class DailyAccountPnlRecord(Base):
    """The daily rows of one account summed over its instruments: what statistics read.

    A year is a few hundred rows per account however many instruments were traded, so a
    dashboard sums them quickly even where amounts must be added in Python (SQLite).
    """

    __tablename__ = "daily_account_pnl"
    __table_args__ = (Index("ix_daily_account_pnl_user_day", "user_id", "day"),)

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[dt.date] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    trades: Mapped[int]
    wins: Mapped[int]
    losses: Mapped[int]
    net: Mapped[Decimal]
    gross: Mapped[Decimal]
    fees: Mapped[Decimal]
    win_total: Mapped[Decimal]
    loss_total: Mapped[Decimal]
    # Positions with an R (an initial stop) and the sum of their R multiples.
    trades_with_r: Mapped[int] = mapped_column(server_default="0")
    r_total: Mapped[Decimal] = mapped_column(server_default="0")
