# Generated from tradeloop-contracts-schemas-1.6.0.tar.gz (requests/InsightCreate.json) by
# tools/generate_contracts.py with datamodel-code-generator. Do not edit by hand:
# change the pinned version in pyproject.toml and run `make generate`.

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypeAliasType

Currency = TypeAliasType("Currency", Annotated[str, Field(pattern="^[A-Z]{3}$", title="Currency")])


SuggestedRule = TypeAliasType(
    "SuggestedRule", Annotated[str, Field(max_length=500, title="Suggested Rule")]
)


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


class InsightCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
    )
    body: Annotated[str, Field(max_length=5000, title="Body")]
    confidence: Annotated[
        str,
        Field(
            description="e.g. 'p=0.01' or '90% CI 12.0..40.5'.",
            max_length=100,
            title="Confidence",
        ),
    ]
    cost: Annotated[Decimal | None, Field(title="Cost")] = None
    currency: Annotated[Currency | None, Field(title="Currency")] = None
    evidence: Evidence
    kind: Annotated[str, Field(max_length=64, min_length=1, title="Kind")]
    period_end: Annotated[date | None, Field(title="Period End")] = None
    period_start: Annotated[date | None, Field(title="Period Start")] = None
    suggested_rule: Annotated[SuggestedRule | None, Field(title="Suggested Rule")] = None
    title: Annotated[str, Field(max_length=200, min_length=1, title="Title")]
