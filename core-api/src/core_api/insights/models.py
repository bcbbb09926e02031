"""Insights."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core_api.kit.models import Entity


class InsightRecord(Entity):
    __tablename__ = "insights"
    __table_args__ = (Index("ix_insights_user_created", "user_id", "created_at"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict[str, Any]]
    confidence: Mapped[str] = mapped_column(String(100))
    cost: Mapped[Decimal | None]
    currency: Mapped[str | None] = mapped_column(String(3))
    suggested_rule: Mapped[str | None] = mapped_column(String(500))
    period_start: Mapped[dt.date | None]
    period_end: Mapped[dt.date | None]
