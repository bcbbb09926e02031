"""Saving, listing and choosing column mappings, scoped to the trader."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from tradeloop_contracts import ColumnMapping, SavedColumnMapping, SavedColumnMappingCreate

from core_api.accounts.repository import AccountRepository
from core_api.accounts.service import is_time_zone
from core_api.errors import AppError, FieldError, NotFoundError
from core_api.mappings.models import SavedColumnMappingRecord


@dataclass(frozen=True)
class SavedColumnMappingRepository:
    """The saved mappings of one trader; another trader's ids are not found."""

    session: Session
    user_id: uuid.UUID

    def list(self, account_id: uuid.UUID | None = None) -> Sequence[SavedColumnMappingRecord]:
        """Newest first, of one account when given."""
        statement = select(SavedColumnMappingRecord).where(
            SavedColumnMappingRecord.user_id == self.user_id
        )
        if account_id is not None:
            statement = statement.where(SavedColumnMappingRecord.account_id == account_id)
        return self.session.scalars(
            statement.order_by(
                SavedColumnMappingRecord.created_at.desc(), SavedColumnMappingRecord.id
            )
        ).all()

    def get(self, mapping_id: uuid.UUID) -> SavedColumnMappingRecord:
        record = self.session.scalar(
            select(SavedColumnMappingRecord).where(
                SavedColumnMappingRecord.id == mapping_id,
                SavedColumnMappingRecord.user_id == self.user_id,
            )
        )
        if record is None:
            raise NotFoundError("column mapping")
        return record


def save_mapping(
    session: Session,
    user_id: uuid.UUID,
    body: SavedColumnMappingCreate,
    record: SavedColumnMappingRecord | None = None,
) -> SavedColumnMappingRecord:
    """A new saved mapping, or `record` replaced by `body`.

    NotFoundError for another trader's account; 422 naming `body.mapping.time_zone` for a
    zone that does not exist; 409 when the account already has a mapping of that name.
    """
    AccountRepository(session, user_id).get(body.account_id)
    check_mapping(body.mapping, "body.mapping")
    if record is None:
        record = SavedColumnMappingRecord(user_id=user_id)
    record.account_id = body.account_id
    record.name = body.name
    record.mapping = stored(body.mapping)
    try:
        with session.begin_nested():
            session.add(record)
            session.flush()
    except IntegrityError as error:
        raise AppError(
            409,
            "Conflict",
            "The account already has a column mapping of that name.",
            errors=[FieldError("body.name", "already used by another mapping of the account")],
        ) from error
    return record


def check_mapping(mapping: ColumnMapping, location: str) -> None:
    """422 naming the field when the mapping cannot be applied to any file."""
    if mapping.time_zone is not None and not is_time_zone(mapping.time_zone):
        raise AppError(
            422,
            "Invalid request",
            f"{mapping.time_zone!r} is not a time zone.",
            errors=[FieldError(f"{location}.time_zone", "not an IANA time zone name")],
        )


def stored(mapping: ColumnMapping) -> dict[str, Any]:
    return mapping.model_dump(mode="json")


def mapping_for_import(
    session: Session, user_id: uuid.UUID, account_id: uuid.UUID, mapping_id: uuid.UUID
) -> dict[str, Any]:
    """The saved mapping an upload names, as stored on the import.

    NotFoundError when it is not the trader's; 422 naming `form.mapping_id` when it was
    saved for another account.
    """
    record = SavedColumnMappingRepository(session, user_id).get(mapping_id)
    if record.account_id != account_id:
        raise AppError(
            422,
            "Invalid request",
            "The column mapping was saved for another account.",
            errors=[FieldError("form.mapping_id", "saved for another account")],
        )
    return record.mapping


def to_saved_mapping(record: SavedColumnMappingRecord) -> SavedColumnMapping:
    return SavedColumnMapping(
        id=record.id,
        account_id=record.account_id,
        name=record.name,
        mapping=ColumnMapping.model_validate(record.mapping),
        created_at=record.created_at,
    )
