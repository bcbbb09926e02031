"""Strategies: a grouping of one account's positions on one underlying, with their totals."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from core_api.kit.models import Entity


class StrategyRecord(Entity):
    """Rebuilt with the account's positions; its legs point to it (`positions.strategy_id`)."""

    __tablename__ = "strategies"
    __table_args__ = (
        Index("ix_strategies_user_opened", "user_id", "opened_at", "id"),
        Index("ix_strategies_account_underlying", "account_id", "underlying"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    underlying: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(6))
    opened_at: Mapped[dt.datetime]
    closed_at: Mapped[dt.datetime | None]
    # Trading days of the first opening and the last closing leg.
    opened_day: Mapped[dt.date | None]
    closed_day: Mapped[dt.date | None]
    realised_pnl_gross: Mapped[Decimal]
    fees: Mapped[Decimal]
    realised_pnl_net: Mapped[Decimal]
    # The legs' base-currency results summed, when every leg has one.
    realised_pnl_net_base: Mapped[Decimal | None]
    currency: Mapped[str] = mapped_column(String(3))
    outcome: Mapped[str | None] = mapped_column(String(9))
    rolled_from_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("strategies.id", ondelete="SET NULL"), index=True
    )
