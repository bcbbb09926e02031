"""Attachments: screenshots and files kept with a position or a journal entry."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import Field

from ._base import ResponseBody, Timestamp

AttachmentOwnerKind = Literal["position", "journal_entry"]


class Attachment(ResponseBody):
    """A stored file's metadata; its bytes are fetched from the attachment's own route."""

    id: UUID
    owner_kind: AttachmentOwnerKind
    owner_id: UUID
    filename: str = Field(min_length=1, max_length=255)
    content_type: str = Field(min_length=1, max_length=100)
    size_bytes: int = Field(ge=0)
    width: int | None = Field(default=None, ge=1, description="Images only, in pixels.")
    height: int | None = Field(default=None, ge=1, description="Images only, in pixels.")
    created_at: Timestamp


class AttachmentList(ResponseBody):
    """The attachments of one owner, oldest first."""

    items: list[Attachment]
