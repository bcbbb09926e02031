"""The bars of a position: one row per position, the series kept as JSON."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from core_api.kit.models import Entity


class PositionBarsRecord(Entity):
    __tablename__ = "position_bars"

    position_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("positions.id", ondelete="CASCADE"), unique=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    symbol: Mapped[str] = mapped_column(String(64))
    interval: Mapped[str] = mapped_column(String(8))
    complete: Mapped[bool]
    # Bar objects as the contracts serialise them (amounts as strings, times ISO 8601).
    bars: Mapped[list[Any]]
