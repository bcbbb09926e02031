"""Coach chat: a question in, an answer built only from computed numbers out."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import Field

from ._base import Amount, RequestBody, ResponseBody

ChartKind = Literal["bar", "line"]


class ChatRequest(RequestBody):
    """A trader's question to the coach, optionally continuing a conversation."""

    message: str = Field(min_length=1, max_length=4000)
    conversation_id: UUID | None = None
    account_id: UUID | None = Field(
        default=None, description="Answer from this account's trades alone; absent: every account."
    )


class NumberUsed(ResponseBody):
    """A figure the answer cites, and the analytics call it came from."""

    name: str = Field(max_length=200)
    value: str = Field(max_length=100, description="As computed; decimals as strings.")
    source: str = Field(max_length=500, description="e.g. GET /v1/analytics?group_by=hour.")


class ChartPoint(ResponseBody):
    """One point: a label or date on the x axis, a decimal value on the y axis."""

    x: str = Field(max_length=100)
    y: Amount


class ChartSeries(ResponseBody):
    """One named series of a chart."""

    name: str = Field(max_length=200)
    points: list[ChartPoint] = Field(max_length=1000)


class ChartSpec(ResponseBody):
    """A chart the answer suggests, drawn from the numbers it used."""

    kind: ChartKind
    title: str | None = Field(default=None, max_length=200)
    series: list[ChartSeries] = Field(min_length=1, max_length=10)


class ToolCall(ResponseBody):
    """An analytics call the coach made to answer."""

    name: str = Field(max_length=100)
    arguments: dict[str, object] = Field(default_factory=dict)


class ChatReply(ResponseBody):
    """The coach's answer, the numbers it rests on, and how it was produced."""

    conversation_id: UUID
    answer: str = Field(max_length=20000)
    numbers: list[NumberUsed] = Field(default_factory=list, max_length=100)
    chart: ChartSpec | None = None
    llm_used: bool = Field(description="False: written from templates without a model.")
    tool_calls: list[ToolCall] = Field(default_factory=list, max_length=50)
