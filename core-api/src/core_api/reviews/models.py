"""Stored weekly reviews, one per trader and week."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core_api.kit.models import Entity


class WeeklyReviewRecord(Entity):
    __tablename__ = "weekly_reviews"
    __table_args__ = (UniqueConstraint("user_id", "week_start"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    week_start: Mapped[dt.date]
    summary: Mapped[str] = mapped_column(Text)
    focus: Mapped[str] = mapped_column(String(1000))
    metrics: Mapped[dict[str, Any]]
    insight_ids: Mapped[list[str]]
    report: Mapped[dict[str, Any] | None]
