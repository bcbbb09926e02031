"""Cursor pagination shared by every list response."""

from __future__ import annotations

from pydantic import Field

from ._base import ResponseBody


class Page(ResponseBody):
    """The cursor for the next page; absent on the last page."""

    next_cursor: str | None = Field(default=None, description="Opaque; pass back as `cursor`.")
