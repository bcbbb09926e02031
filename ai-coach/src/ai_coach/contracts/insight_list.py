# Generated from tradeloop-contracts-schemas-1.6.0.tar.gz (responses/InsightList.json) by
# tools/generate_contracts.py with datamodel-code-generator. Do not edit by hand:
# change the pinned version in pyproject.toml and run `make generate`.

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from typing_extensions import TypeAliasType


class Evidence(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    metrics: Annotated[
        dict[str, str],
        Field(description="Named figures, decimals as strings.", title="Metrics"),
    ]
    position_ids: Annotated[list[UUID] | None, Field(title="Position Ids")] = None
    sample_size: Annotated[int, Field(ge=0, title="Sample Size")]


Currency = TypeAliasType("Currency", Annotated[str, Field(pattern="^[A-Z]{3}$", title="Currency")])


class Insight(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    body: Annotated[str, Field(title="Body")]
    confidence: Annotated[str, Field(title="Confidence")]
    cost: Annotated[Decimal | None, Field(title="Cost")] = None
    created_at: Annotated[AwareDatetime, Field(title="Created At")]
    currency: Annotated[Currency | None, Field(title="Currency")] = None
    evidence: Evidence
    id: Annotated[UUID, Field(title="Id")]
    kind: Annotated[str, Field(title="Kind")]
    period_end: Annotated[date | None, Field(title="Period End")] = None
    period_start: Annotated[date | None, Field(title="Period Start")] = None
    suggested_rule: Annotated[str | None, Field(title="Suggested Rule")] = None
    title: Annotated[str, Field(title="Title")]


class InsightList(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    items: Annotated[list[Insight], Field(title="Items")]
