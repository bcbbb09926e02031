"""The trader's layer over fills: edits, deletions and fills entered by hand.

A fill's edits are kept apart from it, by the fill's identity in its account (its broker id,
else its fingerprint; see `ExecutionEditRecord`), with what the source reported. The stored
fill carries the effective values, so everything that reads fills sees the edits; a fill
stored again under the same identity (after its import was discarded and run again) gets
them at insert, and a fill deleted by hand is not stored again.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, MutableMapping
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session
from tradeloop_contracts import ExecutionEdit, ExecutionFieldEdit

from core_api.accounts.repository import AccountRepository
from core_api.errors import AppError, FieldError, NotFoundError
from core_api.executions.models import ExecutionEditRecord, ExecutionRecord, FillKey
from core_api.positions.service import InstrumentKey
from core_api.positions.settle import settle_instruments

_DECIMALS = ("quantity", "price", "commission", "fees")


def account_edits(session: Session, account_id: uuid.UUID) -> dict[FillKey, ExecutionEditRecord]:
    """Every edit of the account's fills by fill identity (a trader edits few fills)."""
    records = session.scalars(
        select(ExecutionEditRecord).where(ExecutionEditRecord.account_id == account_id)
    )
    return {record.key(): record for record in records}


def edits_of(
    session: Session, fills: Iterable[ExecutionRecord]
) -> dict[FillKey, ExecutionEditRecord]:
    """The edits of the given fills (of one trader) by fill identity."""
    by_account: dict[uuid.UUID, list[FillKey]] = {}
    for fill in fills:
        by_account.setdefault(fill.account_id, []).append(fill.key())
    conditions = [
        and_(
            ExecutionEditRecord.account_id == account_id,
            or_(
                ExecutionEditRecord.broker_execution_id.in_([b for b, _ in keys if b]),
                ExecutionEditRecord.fingerprint.in_([f for b, f in keys if not b and f]),
            ),
        )
        for account_id, keys in by_account.items()
    ]
    if not conditions:
        return {}
    records = session.scalars(select(ExecutionEditRecord).where(or_(*conditions)))
    return {record.key(): record for record in records}


def apply_to_row(row: MutableMapping[str, Any], edit: ExecutionEditRecord) -> None:
    """A fill about to be stored takes the trader's values over the source's."""
    for field, change in edit.changes.items():
        row.update(_columns(field, change["value"]))


def field_edits(edit: ExecutionEditRecord | None) -> list[ExecutionFieldEdit]:
    """The edits of a fill as the API shows them."""
    if edit is None:
        return []
    return [
        ExecutionFieldEdit(field=field, original=change["original"], value=change["value"])
        for field, change in edit.changes.items()
    ]


def get_execution(session: Session, user_id: uuid.UUID, execution_id: uuid.UUID) -> ExecutionRecord:
    """One of the trader's fills; NotFoundError when missing or someone else's."""
    record = session.scalar(
        select(ExecutionRecord).where(
            ExecutionRecord.id == execution_id, ExecutionRecord.user_id == user_id
        )
    )
    if record is None:
        raise NotFoundError("execution")
    return record


def edit_execution(
    session: Session, record: ExecutionRecord, body: ExecutionEdit, traceparent: str | None
) -> ExecutionRecord:
    """Sets the fields the body sends over the source's values and takes the `revert` ones
    back to them; rematches the instrument from the earlier of the fill's old and new time.

    A 422 problem names a field both set and reverted, or set to null (other than `note`).
    """
    sent = body.model_fields_set - {"revert"}
    errors = [
        FieldError(f"body.{field}", "cannot be null")
        for field in sorted(sent)
        if field != "note" and getattr(body, field) is None
    ] + [
        FieldError(f"body.revert.{index}", f"{field} is also set")
        for index, field in enumerate(body.revert)
        if field in sent
    ]
    if errors:
        raise AppError(422, "Invalid request", errors=errors)
    account = AccountRepository(session, record.user_id).get(record.account_id, for_update=True)
    edit = edits_of(session, [record]).get(record.key()) or ExecutionEditRecord(
        user_id=record.user_id,
        account_id=record.account_id,
        broker_execution_id=record.key()[0],
        fingerprint=record.key()[1],
        changes={},
        deleted=False,
    )
    changes = dict(edit.changes)
    before = record.executed_at
    for reverted in body.revert:
        if reverted in changes:
            _set(record, reverted, changes.pop(reverted)["original"])
    for field in sorted(sent):
        value = _text(getattr(body, field))
        original = changes[field]["original"] if field in changes else _text_of(record, field)
        changes.pop(field, None)
        if value != original:
            changes[field] = {"original": original, "value": value}
        _set(record, field, value)
    edit.changes = changes
    if changes:
        session.add(edit)
    elif edit in session:
        session.delete(edit)
    session.flush()
    if (sent | set(body.revert)) - {"note"}:
        key = InstrumentKey(record.asset_class, record.symbol)
        since = min(before, record.executed_at)
        settle_instruments(session, account, [key], traceparent, since={key: since})
    return record


def delete_executions(
    session: Session,
    user_id: uuid.UUID,
    records: Iterable[ExecutionRecord],
    traceparent: str | None,
) -> None:
    """Deletes fills of one account and rebuilds their instruments.

    An imported or synced fill deleted is remembered by its identity, so importing it again
    does not bring it back; a fill entered by hand is gone with its edits.
    """
    records = list(records)
    if not records:
        return
    account = AccountRepository(session, user_id).get(records[0].account_id, for_update=True)
    edits = edits_of(session, records)
    for record in records:
        edit = edits.get(record.key())
        if record.source == "manual":
            if edit is not None:
                session.delete(edit)
        elif edit is None:
            session.add(
                ExecutionEditRecord(
                    user_id=user_id,
                    account_id=record.account_id,
                    broker_execution_id=record.key()[0],
                    fingerprint=record.key()[1],
                    changes={},
                    deleted=True,
                )
            )
        else:
            edit.deleted = True
        session.delete(record)
    session.flush()
    # From their first fill (no `since`): a position the delete took with it (its opening
    # fill) leaves daily rows only a full rebuild of the instrument finds.
    keys = {InstrumentKey(record.asset_class, record.symbol) for record in records}
    settle_instruments(session, account, keys, traceparent)


def _text(value: Any) -> str | None:
    """A field's value as an edit keeps it: decimals as written, times in ISO 8601."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        # Positional: a stored 10 may read back as Decimal("1E+1").
        return format(value, "f")
    return str(value)


def _text_of(record: ExecutionRecord, field: str) -> str | None:
    """The stored fill's value of `field`, its time at the offset it was reported in."""
    if field == "executed_at":
        zone = dt.timezone(dt.timedelta(minutes=record.utc_offset_minutes))
        return record.executed_at.astimezone(zone).isoformat()
    return _text(getattr(record, field))


def _columns(field: str, text: str | None) -> Mapping[str, Any]:
    """The stored fill's columns for a field's value as an edit keeps it."""
    if field == "executed_at":
        assert text is not None
        at = dt.datetime.fromisoformat(text)
        offset = at.utcoffset()
        return {
            "executed_at": at.astimezone(dt.UTC),
            "utc_offset_minutes": int(offset.total_seconds() // 60) if offset else 0,
        }
    if field in _DECIMALS:
        return {field: Decimal(text) if text is not None else None}
    return {field: text}


def _set(record: ExecutionRecord, field: str, text: str | None) -> None:
    for column, value in _columns(field, text).items():
        setattr(record, column, value)
