"""An OpenAI-compatible Chat Completions client over httpx, with bounded time and retries.

httpx rather than the `openai` SDK: ai-coach already speaks httpx to core, the SDK would
add its own retry loop on top of ours, and only one endpoint (`POST /chat/completions`)
with tool calls is needed, which works the same on OpenAI, Ollama and vLLM.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx
from pydantic import BaseModel, SecretStr, ValidationError
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

Message = dict[str, Any]


class LlmError(Exception):
    """The model could not give a usable answer (the caller falls back to a template).

    `outcome` names the failure in a word for the `llm_requests_total` series: timeout,
    unreachable, rate_limited, server_error, refused or invalid_answer.
    """

    def __init__(self, message: str, outcome: str) -> None:
        super().__init__(message)
        self.outcome = outcome


class RetryableLlmError(LlmError):
    """A failure worth another attempt: a timeout, a refused connection, 429 or 5xx."""


class _FunctionCall(BaseModel):
    name: str
    arguments: str


class _ToolCall(BaseModel):
    id: str
    type: str = "function"
    function: _FunctionCall


class _AssistantMessage(BaseModel):
    content: str | None = None
    tool_calls: list[_ToolCall] | None = None


class _Choice(BaseModel):
    message: _AssistantMessage
    finish_reason: str | None = None


class _Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0


class _Completion(BaseModel):
    choices: list[_Choice]
    usage: _Usage | None = None


@dataclass(frozen=True)
class ToolCall:
    """A call the model asked for; `arguments` is None when they were not a JSON object."""

    id: str
    name: str
    arguments: dict[str, Any] | None
    raw_arguments: str


@dataclass(frozen=True)
class Completion:
    """What the model said: text, or tool calls, and the tokens it cost."""

    content: str | None
    tool_calls: list[ToolCall] = field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def as_message(self) -> Message:
        """The assistant message to send back with the tool results."""
        message: Message = {"role": "assistant", "content": self.content}
        if self.tool_calls:
            message["tool_calls"] = [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": call.raw_arguments},
                }
                for call in self.tool_calls
            ]
        return message


def _arguments(raw: str) -> dict[str, Any] | None:
    try:
        parsed = json.loads(raw)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


class LlmClient:
    """Calls `POST {base_url}/chat/completions`; never logs or returns the API key."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        model: str,
        api_key: SecretStr | None,
        *,
        attempts: int = 3,
        max_wait_seconds: float = 4.0,
    ) -> None:
        self._http = http
        self._model = model
        self._api_key = api_key
        self._attempts = attempts
        self._max_wait = max_wait_seconds

    @property
    def model(self) -> str:
        """The model name sent with each request."""
        return self._model

    async def complete(
        self, messages: list[Message], tools: list[dict[str, Any]], max_tokens: int
    ) -> Completion:
        """One completion, retried on timeouts, 429 and 5xx with capped exponential waits.

        Raises LlmError when every attempt failed or the answer is not a completion.
        """
        body: dict[str, Any] = {
            "model": self._model,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": 0,
        }
        if tools:
            body["tools"] = tools
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._attempts),
            wait=wait_exponential(multiplier=0.25, max=self._max_wait),
            retry=retry_if_exception_type(RetryableLlmError),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._post(body)
        raise AssertionError("unreachable: tenacity reraises the last error")

    async def _post(self, body: dict[str, Any]) -> Completion:
        headers = {}
        if self._api_key is not None:
            headers["Authorization"] = f"Bearer {self._api_key.get_secret_value()}"
        try:
            response = await self._http.post("chat/completions", json=body, headers=headers)
        except (httpx.TimeoutException, httpx.TransportError) as error:
            outcome = "timeout" if isinstance(error, httpx.TimeoutException) else "unreachable"
            raise RetryableLlmError(
                f"the model did not answer: {type(error).__name__}", outcome
            ) from None
        if response.status_code == 429:
            raise RetryableLlmError("the model answered 429", "rate_limited")
        if response.status_code >= 500:
            raise RetryableLlmError(f"the model answered {response.status_code}", "server_error")
        if response.status_code != 200:
            raise LlmError(f"the model refused the request with {response.status_code}", "refused")
        try:
            parsed = _Completion.model_validate_json(response.content)
        except ValidationError:
            raise LlmError(
                "the model's answer is not a chat completion", "invalid_answer"
            ) from None
        if not parsed.choices:
            raise LlmError("the model's answer has no choices", "invalid_answer")
        message = parsed.choices[0].message
        usage = parsed.usage or _Usage()
        return Completion(
            content=message.content,
            tool_calls=[
                ToolCall(
                    id=call.id,
                    name=call.function.name,
                    arguments=_arguments(call.function.arguments),
                    raw_arguments=call.function.arguments,
                )
                for call in message.tool_calls or []
            ],
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
        )
