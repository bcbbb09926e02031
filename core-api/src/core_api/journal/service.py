"""Saving journal entries."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session
from tradeloop_contracts import (
    JournalEntry,
    JournalEntryCreate,
    JournalEntrySaved,
    JournalEntryUpdate,
)

from core_api.errors import AppError, FieldError
from core_api.journal.models import JournalEntryRecord
from core_api.journal.repository import JournalRepository
from core_api.outbox.service import record_event
from core_api.positions.repository import PositionRepository
from core_api.tags.service import register_tags


def create_entry(
    session: Session, user_id: uuid.UUID, body: JournalEntryCreate, traceparent: str | None
) -> JournalEntryRecord:
    """The saved entry, with `journal.entry_saved.v1` written.

    A 422 problem when it names neither a day nor a position; NotFoundError for
    another trader's position.
    """
    if body.day is None and body.position_id is None:
        raise AppError(
            422,
            "Invalid request",
            errors=[FieldError("body", "an entry is about a day, a position, or both")],
        )
    if body.position_id is not None:
        PositionRepository(session, user_id).get(body.position_id)
    entry = JournalRepository(session, user_id).add(
        JournalEntryRecord(
            day=body.day,
            position_id=body.position_id,
            body=body.body,
            mood=body.mood,
            tags=_clean_tags(body.tags),
        )
    )
    _announce(session, user_id, entry, traceparent)
    return entry


def update_entry(
    session: Session,
    user_id: uuid.UUID,
    entry_id: uuid.UUID,
    body: JournalEntryUpdate,
    traceparent: str | None,
) -> JournalEntryRecord:
    """The entry with the fields `body` sets changed, and `journal.entry_saved.v1` written.

    NotFoundError for a missing entry or another trader's.
    """
    repository = JournalRepository(session, user_id)
    entry = repository.get(entry_id)
    if body.body is not None:
        entry.body = body.body
    if "mood" in body.model_fields_set:
        entry.mood = body.mood
    if body.tags is not None:
        entry.tags = _clean_tags(body.tags)
    repository.save(entry)
    _announce(session, user_id, entry, traceparent)
    return entry


def _announce(
    session: Session, user_id: uuid.UUID, entry: JournalEntryRecord, traceparent: str | None
) -> None:
    register_tags(session, user_id, entry.tags)
    record_event(
        session,
        "journal.entry_saved.v1",
        JournalEntrySaved(
            user_id=user_id, entry_id=entry.id, position_id=entry.position_id, day=entry.day
        ),
        traceparent,
    )


def _clean_tags(tags: list[str]) -> list[str]:
    # Tags compare case-insensitively; keep the first spelling, drop blanks and repeats.
    seen: dict[str, str] = {}
    for tag in tags:
        name = tag.strip()
        if name and name.lower() not in seen:
            seen[name.lower()] = name[:50]
    return list(seen.values())


def to_entry(record: JournalEntryRecord) -> JournalEntry:
    return JournalEntry(
        id=record.id,
        day=record.day,
        position_id=record.position_id,
        body=record.body,
        mood=record.mood,
        tags=list(record.tags),
        created_at=record.created_at,
        updated_at=record.updated_at,
    )
