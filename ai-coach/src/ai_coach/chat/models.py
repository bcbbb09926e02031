"""The wire shapes of `POST /v1/chat`, as the next contracts release defines them.

Local until ai-coach's contracts pin carries `ChatRequest` and `ChatReply`; the names
and fields are the release's, so switching to the generated models changes only imports.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

MAX_NUMBERS = 100


class ChatRequest(BaseModel):
    """A trader's question to the coach, optionally continuing a conversation."""

    model_config = ConfigDict(extra="forbid")

    message: str = Field(min_length=1, max_length=4000)
    conversation_id: UUID | None = None


class NumberUsed(BaseModel):
    """A figure the answer cites, and the analytics call it came from."""

    name: str = Field(max_length=200)
    value: str = Field(max_length=100)
    source: str = Field(max_length=500)


class ChartPoint(BaseModel):
    """One point: a label on the x axis, a decimal value on the y axis."""

    x: str = Field(max_length=100)
    y: Decimal


class ChartSeries(BaseModel):
    """One named series of a chart."""

    name: str = Field(max_length=200)
    points: list[ChartPoint] = Field(max_length=1000)


class ChartSpec(BaseModel):
    """A chart the answer suggests, drawn from the numbers it used."""

    kind: Literal["bar"]
    title: str | None = Field(default=None, max_length=200)
    series: list[ChartSeries] = Field(min_length=1, max_length=10)


class ToolCall(BaseModel):
    """An analytics call the coach made to answer."""

    name: str = Field(max_length=100)
    arguments: dict[str, Any] = Field(default_factory=dict)


class ChatReply(BaseModel):
    """The coach's answer, the numbers it rests on, and how it was produced."""

    conversation_id: UUID
    answer: str = Field(max_length=20000)
    numbers: list[NumberUsed] = Field(default_factory=list, max_length=MAX_NUMBERS)
    chart: ChartSpec | None = None
    llm_used: bool
    tool_calls: list[ToolCall] = Field(default_factory=list, max_length=50)
