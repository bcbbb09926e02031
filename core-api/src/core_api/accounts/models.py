"""Accounts."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from core_api.kit.models import Entity


class AccountRecord(Entity):
    __tablename__ = "accounts"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    broker: Mapped[str] = mapped_column(String(50))
    account_number_masked: Mapped[str | None] = mapped_column(String(64))
    base_currency: Mapped[str] = mapped_column(String(3))
    time_zone: Mapped[str] = mapped_column(String(64))
    matching_method: Mapped[str] = mapped_column(String(16))
    breakeven_band: Mapped[Decimal]
