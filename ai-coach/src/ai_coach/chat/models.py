"""The wire shapes of `POST /v1/chat`: local models until the contracts release carries them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ChatRequest(BaseModel):
    """A trader's question in plain words."""

    model_config = ConfigDict(extra="forbid")

    message: str = Field(min_length=1, max_length=2_000)
    conversation_id: str | None = Field(default=None, max_length=100)
    time_zone: str | None = Field(default=None, max_length=64)


class ChatNumber(BaseModel):
    """A number the reply uses and the analytics call it came from."""

    name: str
    value: str
    source: str


class ChatChartPoint(BaseModel):
    x: str
    y: str


class ChatChartSeries(BaseModel):
    name: str
    points: list[ChatChartPoint]


class ChatChart(BaseModel):
    """A chart to draw: `bar` of one metric per group, one series per currency."""

    kind: str
    title: str
    x_label: str
    y_label: str
    series: list[ChatChartSeries]


class ChatToolCall(BaseModel):
    """A call the model made into the analytics, with the arguments it gave."""

    name: str
    arguments: dict[str, Any] | None
    ok: bool


class ChatReply(BaseModel):
    """The answer, the numbers it cites, a chart, and how it was written."""

    answer: str = Field(max_length=8_000)
    numbers: list[ChatNumber] = Field(max_length=500)
    chart: ChatChart | None
    llm_used: bool
    tool_calls: list[ChatToolCall] = Field(max_length=10)
    conversation_id: str | None = None
