# Generated from tradeloop-contracts-schemas-1.6.0.tar.gz (responses/JournalEntryPage.json) by
# tools/generate_contracts.py with datamodel-code-generator. Do not edit by hand:
# change the pinned version in pyproject.toml and run `make generate`.

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class JournalEntry(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    body: Annotated[str, Field(title="Body")]
    created_at: Annotated[AwareDatetime, Field(title="Created At")]
    day: Annotated[date | None, Field(title="Day")] = None
    id: Annotated[UUID, Field(title="Id")]
    mood: Annotated[int | None, Field(title="Mood")] = None
    position_id: Annotated[UUID | None, Field(title="Position Id")] = None
    tags: Annotated[list[str] | None, Field(title="Tags")] = None
    updated_at: Annotated[AwareDatetime, Field(title="Updated At")]


class JournalEntryPage(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    items: Annotated[list[JournalEntry], Field(title="Items")]
    next_cursor: Annotated[
        str | None,
        Field(description="Opaque; pass back as `cursor`.", title="Next Cursor"),
    ] = None
