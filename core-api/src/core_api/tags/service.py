"""Listing and creating tags; every trader starts with a default vocabulary."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session
from tradeloop_contracts import Tag, TagCreate

from core_api.errors import AppError, FieldError
from core_api.tags.models import TagRecord

DEFAULT_TAGS: dict[str, tuple[str, ...]] = {
    "setup": ("breakout", "pullback", "reversal", "gap and go", "range fade", "trend day"),
    "mistake": (
        "fomo",
        "chased entry",
        "moved stop",
        "oversized",
        "revenge trade",
        "early exit",
        "no plan",
    ),
    "emotion": ("calm", "confident", "anxious", "frustrated", "greedy", "bored"),
}


def list_tags(session: Session, user_id: uuid.UUID) -> Sequence[TagRecord]:
    """The trader's tags by kind and name; the defaults are added the first time."""
    tags = _all(session, user_id)
    if not tags:
        session.add_all(
            TagRecord(user_id=user_id, name=name, key=name, kind=kind)
            for kind, names in DEFAULT_TAGS.items()
            for name in names
        )
        session.flush()
        tags = _all(session, user_id)
    return tags


def create_tag(session: Session, user_id: uuid.UUID, body: TagCreate) -> TagRecord:
    """The new tag; a 409 problem naming `body.name` when the trader has it (in any case)."""
    list_tags(session, user_id)
    name = body.name.strip()
    if not name:
        raise AppError(422, "Invalid request", errors=[FieldError("body.name", "is blank")])
    if _known_keys(session, user_id, [name.lower()]):
        raise AppError(
            409, "Tag exists", errors=[FieldError("body.name", "the trader already has this tag")]
        )
    record = TagRecord(user_id=user_id, name=name, key=name.lower(), kind=body.kind)
    session.add(record)
    session.flush()
    return record


def register_tags(session: Session, user_id: uuid.UUID, names: Iterable[str]) -> None:
    """Adds the names the trader has no tag for yet as `custom` tags."""
    wanted = {name.lower(): name for name in names}
    if not wanted:
        return
    list_tags(session, user_id)
    known = _known_keys(session, user_id, list(wanted))
    session.add_all(
        TagRecord(user_id=user_id, name=name, key=key, kind="custom")
        for key, name in wanted.items()
        if key not in known
    )
    session.flush()


def _known_keys(session: Session, user_id: uuid.UUID, keys: list[str]) -> set[str]:
    return set(
        session.scalars(
            select(TagRecord.key).where(TagRecord.user_id == user_id, TagRecord.key.in_(keys))
        )
    )


def _all(session: Session, user_id: uuid.UUID) -> Sequence[TagRecord]:
    return session.scalars(
        select(TagRecord)
        .where(TagRecord.user_id == user_id)
        .order_by(TagRecord.kind, TagRecord.key)
    ).all()


def to_tag(record: TagRecord) -> Tag:
    return Tag.model_validate({"id": record.id, "name": record.name, "kind": record.kind})
