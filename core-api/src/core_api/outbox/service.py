"""Writing events into the outbox, and leasing and acknowledging them for the relay."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session
from tradeloop_contracts import UserEventData, make_event

from core_api.kit.bulk import insert_rows
from core_api.kit.clock import utcnow
from core_api.outbox.models import OutboxRecord

SOURCE = "/core-api"


def record_event(
    session: Session, event_type: str, data: UserEventData, traceparent: str | None
) -> str:
    """Adds the event to the session's transaction and returns its id.

    Raises UnknownEventTypeError or ValueError when `data` does not fit `event_type`.
    """
    row = _row(event_type, data, traceparent)
    session.add(OutboxRecord(**row))
    return str(row["event_id"])


def record_events(
    session: Session, event_type: str, items: Iterable[UserEventData], traceparent: str | None
) -> None:
    """Adds many events of one type to the transaction in one statement (in their order).

    The contracts build and validate the first envelope for each trader; the trader's
    other events copy it with their own id and data, which are validated models already
    (an import can close or flag thousands of positions at once).
    Raises like `record_event`.
    """
    envelopes: dict[uuid.UUID, tuple[type[UserEventData], dict[str, Any]]] = {}
    rows: list[dict[str, Any]] = []
    for data in items:
        known = envelopes.get(data.user_id)
        if known is None or type(data) is not known[0]:
            row = _row(event_type, data, traceparent)
            envelopes[data.user_id] = (type(data), row["event"])
        else:
            data_json = data.model_dump(mode="json", exclude_none=True)
            envelope = {**known[1], "id": str(uuid.uuid4()), "data": data_json}
            row = _outbox_row(event_type, data.user_id, envelope)
        rows.append(row)
    if rows:
        insert_rows(session, OutboxRecord.metadata.tables["outbox"], rows)


def _row(event_type: str, data: UserEventData, traceparent: str | None) -> dict[str, Any]:
    event = make_event(event_type, data, source=SOURCE, traceparent=traceparent)
    return _outbox_row(event.type, data.user_id, event.model_dump(mode="json", exclude_none=True))


def _outbox_row(event_type: str, user_id: uuid.UUID, envelope: dict[str, Any]) -> dict[str, Any]:
    return {
        "event_id": envelope["id"],
        "event_type": event_type,
        "user_id": user_id,
        "event": envelope,
        "created_at": utcnow(),
    }


def claim(session: Session, limit: int, lease_seconds: int) -> list[tuple[int, dict[str, Any]]]:
    """Leases up to `limit` unsent events whose lease is free or over, oldest first.

    PostgreSQL locks the rows it picks and skips rows another relay holds (SKIP LOCKED);
    SQLite takes them in one UPDATE, which its database write lock serialises.
    """
    now = utcnow()
    free = and_(
        OutboxRecord.sent_at.is_(None),
        or_(OutboxRecord.lease_until.is_(None), OutboxRecord.lease_until < now),
    )
    candidates = (
        select(OutboxRecord.sequence).where(free).order_by(OutboxRecord.sequence).limit(limit)
    )
    chosen: Any
    if session.get_bind().dialect.name == "postgresql":
        # Picked in its own statement: as a subquery PostgreSQL may run it more than once.
        chosen = list(session.scalars(candidates.with_for_update(skip_locked=True)))
        if not chosen:
            return []
    else:
        chosen = candidates.scalar_subquery()
    statement = (
        update(OutboxRecord)
        .where(OutboxRecord.sequence.in_(chosen), free)
        .values(lease_until=now + dt.timedelta(seconds=lease_seconds))
        .returning(OutboxRecord.sequence, OutboxRecord.event)
        .execution_options(synchronize_session=False)
    )
    rows = session.execute(statement).all()
    return sorted((int(sequence), event) for sequence, event in rows)


def acknowledge(session: Session, sequences: list[int]) -> int:
    """Marks the events as sent; returns how many were not sent before."""
    if not sequences:
        return 0
    result = session.execute(
        update(OutboxRecord)
        .where(OutboxRecord.sequence.in_(sequences), OutboxRecord.sent_at.is_(None))
        .values(sent_at=utcnow(), lease_until=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
