"""The journal: daily entries, position notes and tags."""

from __future__ import annotations

import datetime as dt
from typing import Literal
from uuid import UUID

from pydantic import Field

from ._base import RequestBody, ResponseBody, Timestamp
from ._pagination import Page

TagKind = Literal["setup", "mistake", "emotion", "custom"]


class JournalEntryCreate(RequestBody):
    """A reflection on a day, a position, or both. The body is markdown, stored raw."""

    day: dt.date | None = None
    position_id: UUID | None = None
    body: str = Field(max_length=100_000)
    mood: int | None = Field(default=None, ge=1, le=5, description="1 (awful) to 5 (great).")
    tags: list[str] = Field(default_factory=list, max_length=50)


class JournalEntryUpdate(RequestBody):
    """Fields of an entry that may change."""

    body: str | None = Field(default=None, max_length=100_000)
    mood: int | None = Field(default=None, ge=1, le=5)
    tags: list[str] | None = Field(default=None, max_length=50)


class JournalEntry(ResponseBody):
    """A saved journal entry."""

    id: UUID
    day: dt.date | None = None
    position_id: UUID | None = None
    body: str
    mood: int | None = None
    tags: list[str] = Field(default_factory=list)
    created_at: Timestamp
    updated_at: Timestamp


class JournalEntryPage(Page):
    """A page of journal entries, newest first."""

    items: list[JournalEntry]


class TagCreate(RequestBody):
    """A user-defined tag."""

    name: str = Field(min_length=1, max_length=50)
    kind: TagKind = "custom"


class Tag(ResponseBody):
    """A tag and what kind of thing it names."""

    id: UUID
    name: str
    kind: TagKind


class TagList(ResponseBody):
    """Every tag of the trader."""

    items: list[Tag]
