# Generated from tradeloop-contracts-schemas-1.6.0.tar.gz (responses/ChatReply.json) by
# tools/generate_contracts.py with datamodel-code-generator. Do not edit by hand:
# change the pinned version in pyproject.toml and run `make generate`.

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypeAliasType


class ChartPoint(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    x: Annotated[str, Field(max_length=100, title="X")]
    y: Annotated[Decimal, Field(title="Y")]


class ChartSeries(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    name: Annotated[str, Field(max_length=200, title="Name")]
    points: Annotated[list[ChartPoint], Field(max_length=1000, title="Points")]


Title = TypeAliasType("Title", Annotated[str, Field(max_length=200, title="Title")])


class ChartSpec(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    kind: Annotated[Literal["bar", "line"], Field(title="Kind")]
    series: Annotated[list[ChartSeries], Field(max_length=10, min_length=1, title="Series")]
    title: Annotated[Title | None, Field(title="Title")] = None


class NumberUsed(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    name: Annotated[str, Field(max_length=200, title="Name")]
    source: Annotated[
        str,
        Field(
            description="e.g. GET /v1/analytics?group_by=hour.",
            max_length=500,
            title="Source",
        ),
    ]
    value: Annotated[
        str,
        Field(
            description="As computed; decimals as strings.",
            max_length=100,
            title="Value",
        ),
    ]


class ToolCall(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    arguments: Annotated[dict[str, Any] | None, Field(title="Arguments")] = None
    name: Annotated[str, Field(max_length=100, title="Name")]


class ChatReply(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    answer: Annotated[str, Field(max_length=20000, title="Answer")]
    chart: ChartSpec | None = None
    conversation_id: Annotated[UUID, Field(title="Conversation Id")]
    llm_used: Annotated[
        bool,
        Field(
            description="False: written from templates without a model.",
            title="Llm Used",
        ),
    ]
    numbers: Annotated[list[NumberUsed] | None, Field(max_length=100, title="Numbers")] = None
    tool_calls: Annotated[list[ToolCall] | None, Field(max_length=50, title="Tool Calls")] = None
