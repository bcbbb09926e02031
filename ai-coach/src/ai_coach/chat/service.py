"""Answering a trader's question: the grammar without a model, tool calls with one.

With a model the conversation is: the question, the model's calls of `analytics_query`
(answered by the same `answer` function the grammar uses), and its final text. The text
is kept only when every number in it is among the tool results or the question
(`ai_coach.llm.grounding`); otherwise, and whenever the model fails, is over budget or
never calls the tool, the reply is the written template of the analytics answer.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Collection
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ai_coach.analytics import ClosedTrade, Dimension
from ai_coach.analytics.breakdown import WEEKDAYS
from ai_coach.chat.answers import UNDEFINED, Answer, answer
from ai_coach.chat.questions import METRICS, Metric, NotUnderstoodError, Question, parse_question
from ai_coach.contracts.chat_reply import (
    ChartPoint,
    ChartSeries,
    ChartSpec,
    ChatReply,
    NumberUsed,
    ToolCall,
)
from ai_coach.llm.budget import DailyBudget
from ai_coach.llm.client import LlmClient, LlmError, Message
from ai_coach.llm.grounding import ungrounded
from ai_coach.llm.metrics import record_request

logger = logging.getLogger(__name__)
TOOL_NAME = "analytics_query"
# The contracts bound a reply's numbers; the model is still held to all of them.
MAX_NUMBERS = 100
MAX_ROUNDS = 3
SYSTEM_PROMPT = (
    "You are a trading coach answering a trader's question about their own closed trades. "
    "You never compute, estimate or invent a number: call the tool `analytics_query` to get "
    "every number, then answer in two or three plain sentences using only numbers exactly as "
    "the tool returned them (a fraction may be written as a percentage). If the tool has no "
    "trades for the question, say so. Today is {today}; the trader's time zone is {zone}."
)
# Added to the prompt when the trader asks about one account: the trades are already its.
ACCOUNT_PROMPT = " The trades are those of the trader's account {account} alone: say so."


class QueryArguments(BaseModel):
    """The tool's arguments: the same query the grammar builds, as JSON."""

    model_config = ConfigDict(extra="forbid")

    metrics: list[Metric] = Field(default_factory=list, max_length=5)
    group_by: Dimension | None = None
    rank: Literal["worst", "best"] | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    weekdays: list[str] = Field(default_factory=list, max_length=7)
    hour_from: int | None = Field(default=None, ge=0, le=24)
    hour_to: int | None = Field(default=None, ge=0, le=24)
    symbols: list[str] = Field(default_factory=list, max_length=20)
    tags: list[str] = Field(default_factory=list, max_length=20)

    @field_validator("weekdays")
    @classmethod
    def _known_weekdays(cls, weekdays: list[str]) -> list[str]:
        unknown = [day for day in weekdays if day not in WEEKDAYS]
        if unknown:
            raise ValueError(f"not a weekday: {', '.join(unknown)}; use {', '.join(WEEKDAYS)}")
        return weekdays

    def question(self) -> Question:
        """The same query the grammar would build."""
        period = "overall"
        if self.start or self.end:
            period = f"from {self.start or 'the start'} to {self.end or 'today'}"
        return Question(
            metrics=tuple(dict.fromkeys(self.metrics)),
            group_by=self.group_by,
            rank=self.rank,
            start=self.start,
            end=self.end,
            period=period,
            weekdays=tuple(self.weekdays),
            hour_from=self.hour_from,
            hour_to=self.hour_to,
            symbols=tuple(self.symbols),
            tags=tuple(self.tags),
        )


def tool_definition() -> dict[str, Any]:
    """The `analytics_query` tool in the Chat Completions `tools` format."""
    schema = QueryArguments.model_json_schema()
    schema["properties"]["metrics"]["items"] = {"type": "string", "enum": list(METRICS)}
    schema["properties"]["weekdays"]["items"] = {"type": "string", "enum": list(WEEKDAYS)}
    return {
        "type": "function",
        "function": {
            "name": TOOL_NAME,
            "description": (
                "The trader's metrics (net P&L, win rate as a 0-1 fraction, expectancy per "
                "trade, profit factor, trade count) for closed trades chosen by closing day "
                "(start/end, ISO dates, inclusive), entry weekday, entry hour "
                "(hour_from inclusive, hour_to exclusive), symbols and setup tags; optionally "
                "grouped by a dimension, or only the worst/best group."
            ),
            "parameters": schema,
        },
    }


@dataclass(frozen=True)
class LlmSettings:
    """How much one chat may spend on the model."""

    max_tokens_per_request: int
    max_completion_tokens: int


def reply_of(
    result: Answer,
    *,
    text: str,
    llm_used: bool,
    calls: list[ToolCall],
    conversation_id: UUID,
) -> ChatReply:
    """The wire reply of an analytics answer with the given text (the first 100 numbers)."""
    chart = None
    if result.chart is not None:
        chart = ChartSpec(
            kind="bar",
            title=result.chart.title[:200],
            series=[
                ChartSeries(
                    name=currency,
                    points=[
                        ChartPoint(x=p.x, y=Decimal(p.y)) for p in points if p.y not in UNDEFINED
                    ],
                )
                for currency, points in result.chart.series.items()
            ],
        )
    return ChatReply(
        conversation_id=conversation_id,
        answer=text,
        numbers=[
            NumberUsed(name=n.name, value=n.value, source=n.source)
            for n in result.numbers[:MAX_NUMBERS]
        ],
        chart=chart,
        llm_used=llm_used,
        tool_calls=calls,
    )


def template_reply(
    message: str,
    trades: dict[str, list[ClosedTrade]],
    zone: ZoneInfo,
    today: dt.date,
    conversation_id: UUID,
    *,
    account: str | None = None,
) -> ChatReply:
    """The reply of the question grammar (no model): the answer, or what it understands.

    `account` names the one account `trades` are of; the answer says so.
    """
    symbols, tags = known(trades)
    try:
        question = parse_question(message, today, symbols, tags)
    except NotUnderstoodError as error:
        return ChatReply(conversation_id=conversation_id, answer=str(error), llm_used=False)
    result = answer(replace(question, account=account), trades, zone)
    return reply_of(
        result, text=result.text, llm_used=False, calls=[], conversation_id=conversation_id
    )


class ChatModel:
    """The model side of the chat: tool calls into the analytics, grounded final text."""

    def __init__(self, client: LlmClient, budget: DailyBudget, limits: LlmSettings) -> None:
        self._client = client
        self._budget = budget
        self._limits = limits

    async def reply(
        self,
        user_id: UUID,
        message: str,
        trades: dict[str, list[ClosedTrade]],
        zone: ZoneInfo,
        today: dt.date,
        conversation_id: UUID,
        *,
        account: str | None = None,
    ) -> ChatReply | None:
        """The model's grounded reply, or None when the template must answer instead.

        Tool calls whose arguments are not valid are answered with the error, so the
        model can correct them; they are listed with empty arguments. `account` names the
        one account `trades` are of: every tool result says so, and so does the prompt.
        """
        if not self._budget.allows(user_id):
            logger.info("chat: daily model budget used up, answering from the template")
            record_request(self._client.model, "budget", None)
            return None
        started = time.perf_counter()
        reply, outcome = await self._converse(
            user_id, message, trades, zone, today, conversation_id, account
        )
        record_request(self._client.model, outcome, time.perf_counter() - started)
        return reply

    async def _converse(
        self,
        user_id: UUID,
        message: str,
        trades: dict[str, list[ClosedTrade]],
        zone: ZoneInfo,
        today: dt.date,
        conversation_id: UUID,
        account: str | None,
    ) -> tuple[ChatReply | None, str]:
        # The reply (None: the template answers) and the outcome of the model's use.
        prompt = SYSTEM_PROMPT.format(today=today, zone=zone.key)
        if account is not None:
            prompt += ACCOUNT_PROMPT.format(account=account)
        messages: list[Message] = [
            {"role": "system", "content": prompt},
            {"role": "user", "content": message},
        ]
        calls: list[ToolCall] = []
        results: list[Answer] = []
        spent = 0
        outcome = "too_many_rounds"
        for _ in range(MAX_ROUNDS):
            remaining = self._limits.max_tokens_per_request - spent
            if remaining <= 0:
                outcome = "budget"
                break
            try:
                completion = await self._client.complete(
                    messages,
                    [tool_definition()],
                    min(self._limits.max_completion_tokens, remaining),
                )
            except LlmError as error:
                logger.warning("chat: the model failed (%s), answering from the template", error)
                outcome = error.outcome
                break
            used = completion.prompt_tokens + completion.completion_tokens
            spent += used
            self._budget.charge(user_id, completion.prompt_tokens, completion.completion_tokens)
            if not completion.tool_calls:
                return self._grounded(
                    completion.content or "", message, results, calls, conversation_id
                )
            messages.append(completion.as_message())
            for call in completion.tool_calls:
                content, result = self._run_tool(call.name, call.arguments, trades, zone, account)
                calls.append(ToolCall(name=call.name, arguments=call.arguments or {}))
                if result is not None:
                    results.append(result)
                messages.append({"role": "tool", "tool_call_id": call.id, "content": content})
        if results:
            last = results[-1]
            reply = reply_of(
                last, text=last.text, llm_used=False, calls=calls, conversation_id=conversation_id
            )
            return reply, outcome
        return None, outcome

    def _run_tool(
        self,
        name: str,
        arguments: dict[str, Any] | None,
        trades: dict[str, list[ClosedTrade]],
        zone: ZoneInfo,
        account: str | None,
    ) -> tuple[str, Answer | None]:
        if name != TOOL_NAME:
            return json.dumps({"error": f"unknown tool {name!r}; use {TOOL_NAME}"}), None
        if arguments is None:
            return json.dumps({"error": "the arguments are not a JSON object"}), None
        try:
            query = QueryArguments.model_validate(arguments)
        except ValidationError as error:
            problems = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()]
            return json.dumps({"error": "invalid arguments", "problems": problems}), None
        # The account is the request's choice; the model's arguments cannot widen it.
        result = answer(replace(query.question(), account=account), trades, zone)
        numbers = [{"name": n.name, "value": n.value, "source": n.source} for n in result.numbers]
        return json.dumps({"summary": result.text, "numbers": numbers}), result

    def _grounded(
        self,
        text: str,
        message: str,
        results: list[Answer],
        calls: list[ToolCall],
        conversation_id: UUID,
    ) -> tuple[ChatReply | None, str]:
        if not results:
            # The model answered without asking the analytics: nothing it says can be trusted.
            return None, "no_tool_call"
        last = results[-1]
        template = reply_of(
            last, text=last.text, llm_used=False, calls=calls, conversation_id=conversation_id
        )
        if not text.strip():
            return template, "empty_answer"
        sources = [message, *(r.text for r in results)]
        sources += [n.value for r in results for n in r.numbers]
        invented = ungrounded(text, sources)
        if invented:
            logger.info("chat: the model wrote %d numbers not in the results", len(invented))
            return template, "rejected_numbers"
        merged = Answer(last.text, [n for r in results for n in r.numbers], last.chart)
        reply = reply_of(
            merged, text=text.strip(), llm_used=True, calls=calls, conversation_id=conversation_id
        )
        return reply, "ok"


def known(trades: dict[str, list[ClosedTrade]]) -> tuple[Collection[str], Collection[str]]:
    """The symbols and tags a trader has traded."""
    symbols = {trade.symbol for items in trades.values() for trade in items}
    tags = {tag for items in trades.values() for trade in items for tag in trade.tags}
    return symbols, tags
