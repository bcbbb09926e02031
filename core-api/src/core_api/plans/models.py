"""Trading plans, one row per version, and the violations found against them."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core_api.kit.models import Entity


class TradingPlanRecord(Entity):
    """A trader's plan; its rules live in its versions."""

    __tablename__ = "trading_plans"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    current_version: Mapped[int]
    # Past trades are judged after the response (plans/judging.py): `evaluation` is
    # "pending" until a judging that started at the current `judging_round` stores its
    # result, "failed" when it raised; `judged_version` the version it judged.
    evaluation: Mapped[str] = mapped_column(String(8), default="judged", server_default="judged")
    judged_version: Mapped[int | None]
    judging_round: Mapped[int] = mapped_column(default=0, server_default="0")


class PlanVersionRecord(Entity):
    """The rules of one version, in force from `effective_from` until the next version's."""

    __tablename__ = "plan_versions"
    __table_args__ = (UniqueConstraint("plan_id", "version"),)

    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("trading_plans.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int]
    effective_from: Mapped[dt.datetime]
    # [{"id", "name", "enabled", "kind", "params"}]; a rule keeps its id across versions by name.
    rules: Mapped[list[Any]]
    # Rule id -> why it could not be evaluated (a custom rule that failed or ran too long).
    faults: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ViolationRecord(Entity):
    """A broken rule; `key` names it so re-evaluation updates rather than repeats it."""

    __tablename__ = "violations"
    __table_args__ = (
        UniqueConstraint("user_id", "key"),
        Index("ix_violations_user_day", "user_id", "day"),
        Index("ix_violations_user_detected", "user_id", "detected_at", "id"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(120))
    rule_id: Mapped[uuid.UUID]
    rule_kind: Mapped[str] = mapped_column(String(32))
    plan_version: Mapped[int]
    position_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("positions.id", ondelete="CASCADE"), index=True
    )
    execution_id: Mapped[uuid.UUID | None]
    day: Mapped[dt.date]
    observed: Mapped[str] = mapped_column(String(200))
    allowed: Mapped[str] = mapped_column(String(200))
    cost: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3))
    detected_at: Mapped[dt.datetime]
