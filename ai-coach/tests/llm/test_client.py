"""The Chat Completions client against a stand-in server speaking the real shapes."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from pydantic import SecretStr

from ai_coach.llm.client import Completion, LlmClient, LlmError
from tests.stub_core import serve
from tests.stub_llm import (
    RATE_LIMITED,
    SERVER_ERROR,
    Scripted,
    StubLlm,
    text_reply,
    tool_call_reply,
)

API_KEY = "sk-test-0123456789"


@pytest.fixture
def llm() -> StubLlm:
    return StubLlm()


@pytest.fixture
def llm_url(llm: StubLlm) -> Iterator[str]:
    with serve(llm.app()) as url:
        yield f"{url}/v1/"


def complete(url: str, timeout: float = 5.0, attempts: int = 3) -> Completion:
    async def run() -> Completion:
        async with httpx.AsyncClient(base_url=url, timeout=timeout) as http:
            client = LlmClient(
                http, "gpt-4o-mini", SecretStr(API_KEY), attempts=attempts, max_wait_seconds=0.1
            )
            return await client.complete([{"role": "user", "content": "hi"}], [], 100)

    return asyncio.run(run())


class TestLlmClient:
    def test_a_plain_answer_with_its_usage_and_the_key_as_bearer(
        self, llm: StubLlm, llm_url: str
    ) -> None:
        llm.script.append(Scripted(text_reply("Hello.")))
        completion = complete(llm_url)
        assert completion.content == "Hello."
        assert completion.tool_calls == []
        assert (completion.prompt_tokens, completion.completion_tokens) == (412, 38)
        body, headers = llm.requests[0]
        assert headers["authorization"] == f"Bearer {API_KEY}"
        assert body["model"] == "gpt-4o-mini"
        assert body["max_tokens"] == 100

    def test_tool_call_arguments_are_parsed_and_malformed_ones_kept_raw(
        self, llm: StubLlm, llm_url: str
    ) -> None:
        llm.script.append(Scripted(tool_call_reply({"metrics": ["net_pnl"]})))
        llm.script.append(Scripted(tool_call_reply('{"metrics": ["net_pnl"')))
        [call] = complete(llm_url).tool_calls
        assert call.name == "analytics_query"
        assert call.arguments == {"metrics": ["net_pnl"]}
        [broken] = complete(llm_url).tool_calls
        assert broken.arguments is None
        assert broken.raw_arguments == '{"metrics": ["net_pnl"'

    def test_rate_limits_server_errors_and_timeouts_are_retried(
        self, llm: StubLlm, llm_url: str
    ) -> None:
        llm.script += [
            Scripted(RATE_LIMITED, status=429),
            Scripted(text_reply("late"), delay_seconds=1.0),
            Scripted(text_reply("Done.")),
        ]
        assert complete(llm_url, timeout=0.3).content == "Done."
        assert len(llm.requests) == 3

    def test_gives_up_after_the_attempts_without_showing_the_key(
        self, llm: StubLlm, llm_url: str
    ) -> None:
        llm.script += [Scripted(SERVER_ERROR, status=500)] * 3
        with pytest.raises(LlmError) as raised:
            complete(llm_url)
        assert len(llm.requests) == 3
        assert raised.value.outcome == "server_error"
        assert API_KEY not in str(raised.value)

    def test_a_refused_request_is_not_retried(self, llm: StubLlm, llm_url: str) -> None:
        llm.script.append(Scripted({"error": {"message": "bad", "type": "invalid"}}, status=400))
        with pytest.raises(LlmError, match="400") as raised:
            complete(llm_url)
        assert len(llm.requests) == 1
        assert raised.value.outcome == "refused"

    def test_an_answer_that_is_not_a_completion_is_an_error(
        self, llm: StubLlm, llm_url: str
    ) -> None:
        llm.script.append(Scripted({"object": "list", "data": []}))
        with pytest.raises(LlmError, match="not a chat completion") as raised:
            complete(llm_url)
        assert raised.value.outcome == "invalid_answer"

    def test_the_last_failure_names_its_class(self, llm: StubLlm, llm_url: str) -> None:
        llm.script += [
            Scripted(RATE_LIMITED, status=429),
            Scripted(text_reply("late"), delay_seconds=1.0),
        ]
        with pytest.raises(LlmError) as raised:
            complete(llm_url, timeout=0.3, attempts=2)
        assert raised.value.outcome == "timeout"
        with pytest.raises(LlmError) as raised:
            complete("http://127.0.0.1:9/v1/", attempts=1)
        assert raised.value.outcome == "unreachable"
        llm.script.append(Scripted(RATE_LIMITED, status=429))
        with pytest.raises(LlmError) as raised:
            complete(llm_url, attempts=1)
        assert raised.value.outcome == "rate_limited"
