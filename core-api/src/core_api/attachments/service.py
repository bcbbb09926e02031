"""Attachments of positions and journal entries: checked pictures in the object store.

The picture and its thumbnail live under `attachments/<user id>/`, so deleting a trader
clears one prefix. Files are written before the row and removed when the row cannot be
written; a deleted attachment loses its row first, then its files.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath
from typing import Literal

import obstore
from obstore.exceptions import NotFoundError as ObjectNotFoundError
from obstore.store import ObjectStore
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session
from tradeloop_contracts import Attachment

from core_api.attachments.images import clean_image
from core_api.attachments.models import AttachmentRecord
from core_api.errors import AppError, NotFoundError
from core_api.journal.repository import JournalRepository
from core_api.positions.repository import PositionRepository

OwnerKind = Literal["position", "journal_entry"]
MAX_PER_OWNER = 20
FILENAME_MAX_LENGTH = 200


@dataclass(frozen=True)
class Owner:
    kind: OwnerKind
    id: uuid.UUID


class TooManyAttachmentsError(AppError):
    def __init__(self) -> None:
        super().__init__(
            409,
            "Too many attachments",
            f"A position or journal entry holds at most {MAX_PER_OWNER} attachments; "
            "delete one first.",
        )


def user_prefix(user_id: uuid.UUID) -> str:
    """Where every attachment file of the trader is stored."""
    return f"attachments/{user_id}/"


def add_attachment(
    session: Session,
    store: ObjectStore,
    user_id: uuid.UUID,
    owner: Owner,
    filename: str | None,
    data: bytes,
) -> AttachmentRecord:
    """Checks the picture, stores it without metadata with its thumbnail, and records it.

    NotFoundError when the owner is not the trader's; TooManyAttachmentsError at
    MAX_PER_OWNER; ImageRefusedError (413, 415, 422) for a file that is not a picture
    core accepts.
    """
    _check_owner(session, user_id, owner)
    if _count(session, user_id, owner) >= MAX_PER_OWNER:
        raise TooManyAttachmentsError()
    image = clean_image(data)
    attachment_id = uuid.uuid4()
    base = f"{user_prefix(user_id)}{attachment_id}"
    record = AttachmentRecord(
        id=attachment_id,
        user_id=user_id,
        position_id=owner.id if owner.kind == "position" else None,
        journal_entry_id=owner.id if owner.kind == "journal_entry" else None,
        filename=clean_filename(filename, image.original.extension),
        content_type=image.original.content_type,
        size_bytes=len(image.original.data),
        width=image.original.width,
        height=image.original.height,
        object_key=f"{base}.{image.original.extension}",
        thumbnail_key=f"{base}.thumbnail.{image.thumbnail.extension}",
        thumbnail_content_type=image.thumbnail.content_type,
    )
    obstore.put(store, record.object_key, image.original.data)
    try:
        obstore.put(store, record.thumbnail_key, image.thumbnail.data)
        session.add(record)
        session.flush()
    except BaseException:
        obstore.delete(store, [record.object_key, record.thumbnail_key])
        raise
    return record


def list_attachments(
    session: Session, user_id: uuid.UUID, owner: Owner
) -> Sequence[AttachmentRecord]:
    """The owner's attachments, oldest first; NotFoundError when it is not the trader's."""
    _check_owner(session, user_id, owner)
    return session.scalars(
        select(AttachmentRecord)
        .where(AttachmentRecord.user_id == user_id, _of_owner(owner))
        .order_by(AttachmentRecord.created_at, AttachmentRecord.id)
    ).all()


def get_attachment(
    session: Session, user_id: uuid.UUID, owner: Owner, attachment_id: uuid.UUID
) -> AttachmentRecord:
    """One of the owner's attachments; NotFoundError when either is not the trader's."""
    record = session.scalar(
        select(AttachmentRecord).where(
            AttachmentRecord.id == attachment_id,
            AttachmentRecord.user_id == user_id,
            _of_owner(owner),
        )
    )
    if record is None:
        raise NotFoundError("attachment")
    return record


def read_file(store: ObjectStore, key: str) -> bytes:
    """The stored bytes; NotFoundError when the file is gone (a delete half done)."""
    try:
        return bytes(obstore.get(store, key).bytes())
    except ObjectNotFoundError:
        raise NotFoundError("attachment") from None


def delete_attachment(session: Session, store: ObjectStore, record: AttachmentRecord) -> None:
    """Removes the row, then its files."""
    session.delete(record)
    session.flush()
    obstore.delete(store, [record.object_key, record.thumbnail_key])


def delete_files_of_user(store: ObjectStore, user_id: uuid.UUID) -> int:
    """Removes every attachment file of the trader (account deletion); returns how many."""
    paths = [meta["path"] for chunk in obstore.list(store, user_prefix(user_id)) for meta in chunk]
    if paths:
        obstore.delete(store, paths)
    return len(paths)


def clean_filename(filename: str | None, extension: str) -> str:
    """The sent name without folders or control characters, ending in the stored format's
    extension (the picture is encoded again, so its name follows its content)."""
    name = PureWindowsPath(PurePosixPath(filename or "").name).name
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip(" .")
    stem = re.sub(r"\.[A-Za-z0-9]{1,5}$", "", name)[:FILENAME_MAX_LENGTH] or "attachment"
    return f"{stem}.{extension}"


def to_attachment(record: AttachmentRecord) -> Attachment:
    owner_kind: OwnerKind = "position" if record.position_id is not None else "journal_entry"
    owner_id = record.position_id or record.journal_entry_id
    return Attachment.model_validate(
        {
            "id": record.id,
            "owner_kind": owner_kind,
            "owner_id": owner_id,
            "filename": record.filename,
            "content_type": record.content_type,
            "size_bytes": record.size_bytes,
            "width": record.width,
            "height": record.height,
            "created_at": record.created_at,
        }
    )


def _check_owner(session: Session, user_id: uuid.UUID, owner: Owner) -> None:
    if owner.kind == "position":
        PositionRepository(session, user_id).get(owner.id)
    else:
        JournalRepository(session, user_id).get(owner.id)


def _of_owner(owner: Owner) -> ColumnElement[bool]:
    column = (
        AttachmentRecord.position_id
        if owner.kind == "position"
        else AttachmentRecord.journal_entry_id
    )
    return column == owner.id


def _count(session: Session, user_id: uuid.UUID, owner: Owner) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(AttachmentRecord)
            .where(AttachmentRecord.user_id == user_id, _of_owner(owner))
        )
        or 0
    )
