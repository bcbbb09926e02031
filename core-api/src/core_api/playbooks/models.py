"""Playbooks, their criteria, and which position follows which playbook and met what."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core_api.kit.models import Base, Entity


class PlaybookRecord(Entity):
    """A named setup; `key` is the lower-case name, unique per trader."""

    __tablename__ = "playbooks"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    archived: Mapped[bool] = mapped_column(default=False)
    # Its positions' default stop rule, before the account's (see positions.stops).
    default_stop_kind: Mapped[str | None] = mapped_column(String(8))
    default_stop_distance: Mapped[Decimal | None]


class PlaybookCriterionRecord(Entity):
    """One checklist item of a playbook, at place `rank` of its list."""

    __tablename__ = "playbook_criteria"

    playbook_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("playbooks.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(String(200))
    rank: Mapped[int]


class PositionPlaybookRecord(Base):
    """The playbook a position followed; deleting the playbook detaches its positions."""

    __tablename__ = "position_playbooks"

    position_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("positions.id", ondelete="CASCADE"), primary_key=True
    )
    playbook_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("playbooks.id", ondelete="CASCADE"), index=True
    )


class PositionCriterionRecord(Base):
    """A criterion a position met (a tick); gone with the criterion or the position's playbook."""

    __tablename__ = "position_criteria"

    position_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("position_playbooks.position_id", ondelete="CASCADE"), primary_key=True
    )
    criterion_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("playbook_criteria.id", ondelete="CASCADE"), primary_key=True, index=True
    )
