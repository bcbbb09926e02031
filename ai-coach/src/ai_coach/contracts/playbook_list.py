# Generated from tradeloop-contracts-schemas-1.6.0.tar.gz (responses/PlaybookList.json) by
# tools/generate_contracts.py with datamodel-code-generator. Do not edit by hand:
# change the pinned version in pyproject.toml and run `make generate`.

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class DefaultStop(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
    )
    distance: Annotated[Decimal, Field(title="Distance")]
    kind: Annotated[Literal["points", "percent", "ticks"], Field(title="Kind")]


class PlaybookCriterion(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    id: Annotated[UUID, Field(title="Id")]
    text: Annotated[str, Field(title="Text")]


class Playbook(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    adherence_rate: Annotated[
        Decimal | None,
        Field(
            description="Criteria met over criteria checked, 0..1; absent if none.",
            title="Adherence Rate",
        ),
    ] = None
    archived: Annotated[bool, Field(title="Archived")] = False
    created_at: Annotated[AwareDatetime, Field(title="Created At")]
    criteria: Annotated[list[PlaybookCriterion], Field(title="Criteria")]
    default_stop: Annotated[
        DefaultStop | None,
        Field(
            description="The stop R assumes for a position of this playbook with no stop set by the trader; it comes before the account's default stop."
        ),
    ] = None
    description: Annotated[str | None, Field(title="Description")] = None
    id: Annotated[UUID, Field(title="Id")]
    name: Annotated[str, Field(title="Name")]
    positions: Annotated[int, Field(ge=0, title="Positions")]
    updated_at: Annotated[AwareDatetime, Field(title="Updated At")]


class PlaybookList(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    items: Annotated[list[Playbook], Field(title="Items")]
