"""POST /v1/chat of the real app: the grammar without a model, grounded tool calls with one."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from pydantic import SecretStr

from ai_coach.app import create_app
from ai_coach.config import Settings
from tests.analytics.test_endpoints import playbook_trader, two_account_trader
from tests.factories import START, positions_of, trade
from tests.stub_core import StubCore, serve
from tests.stub_llm import SERVER_ERROR, Scripted, StubLlm, text_reply, tool_call_reply

API_KEY = "sk-chat-secret-42"
CONVERSATION = "1b4e28ba-2fa1-4d3b-a3f5-ef19b5a7633b"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def trader(core: StubCore) -> uuid.UUID:
    """Two NQ trades (+100, -40) and one ES trade (+60) in January 2026."""
    user_id = uuid.uuid4()
    trades = [
        dataclasses.replace(trade(pnl, 600, START + dt.timedelta(days=day)), symbol=symbol)
        for pnl, day, symbol in (("100.00", 0, "NQ"), ("-40.00", 1, "NQ"), ("60.00", 2, "ES"))
    ]
    core.positions[user_id] = positions_of(trades)
    return user_id


@pytest.fixture
def llm() -> StubLlm:
    return StubLlm()


@contextmanager
def coach_with_model(settings: Settings, llm: StubLlm, **limits: object) -> Iterator[httpx.Client]:
    """ai-coach configured with the stand-in model (and any other LLM settings given)."""
    with serve(llm.app()) as llm_url:
        configured = settings.model_copy(
            update={
                "llm_base_url": f"{llm_url}/v1",
                "llm_api_key": SecretStr(API_KEY),
                "llm_timeout_seconds": 2.0,
                **limits,
            }
        )
        with (
            serve(create_app(configured)) as url,
            httpx.Client(base_url=url, timeout=30) as client,
        ):
            yield client


@pytest.fixture
def coach_with_llm(settings: Settings, llm: StubLlm) -> Iterator[httpx.Client]:
    with coach_with_model(settings, llm) as client:
        yield client


class TestChatWithoutModel:
    def test_answers_from_the_grammar_with_numbers_and_a_chart(
        self, coach: httpx.Client, core: StubCore
    ) -> None:
        user_id = trader(core)
        response = coach.post(
            "/v1/chat",
            json={"message": "P&L on NQ vs ES in 2026", "conversation_id": CONVERSATION},
            headers=bearer(core.user_token(user_id)),
        )
        assert response.status_code == 200
        body = response.json()
        assert body["llm_used"] is False
        assert body["conversation_id"] == CONVERSATION
        assert "ES 60.00 USD (1 trades); NQ 60.00 USD (2 trades)" in body["answer"]
        [series] = body["chart"]["series"]
        assert series["points"] == [{"x": "ES", "y": "60.00"}, {"x": "NQ", "y": "60.00"}]

    def test_the_worst_criterion_is_read_with_the_trader_s_playbooks(
        self, coach: httpx.Client, core: StubCore
    ) -> None:
        user_id = playbook_trader(core)
        response = coach.post(
            "/v1/chat",
            json={"message": "my worst criterion in 2026"},
            headers=bearer(core.user_token(user_id)),
        )
        assert response.status_code == 200, response.text
        # Of the five criterion groups (70.25, 80.00, 120.50, 29.75, 15.05) the smallest.
        answer = response.json()["answer"]
        assert "criterion by net P&L, in 2026 (USD), is Pullback · Higher low · met" in answer
        assert "net P&L 15.05 USD, trades 1" in answer

    def test_an_unknown_question_gets_help_and_another_users_data_is_never_read(
        self, coach: httpx.Client, core: StubCore
    ) -> None:
        trader(core)
        stranger = uuid.uuid4()
        response = coach.post(
            "/v1/chat",
            json={"message": "P&L in 2026"},
            headers=bearer(core.user_token(stranger)),
        )
        assert response.json()["answer"] == "You have no closed trades in 2026."
        helped = coach.post(
            "/v1/chat",
            json={"message": "tell me a joke"},
            headers=bearer(core.user_token(stranger)),
        )
        assert "I understand periods" in helped.json()["answer"]

    def test_an_empty_message_is_a_problem_and_no_token_is_401(
        self, coach: httpx.Client, core: StubCore
    ) -> None:
        user_id = trader(core)
        empty = coach.post(
            "/v1/chat", json={"message": ""}, headers=bearer(core.user_token(user_id))
        )
        assert empty.status_code == 422
        assert empty.headers["content-type"].startswith("application/problem+json")
        assert coach.post("/v1/chat", json={"message": "P&L"}).status_code == 401


class TestChatOfOneAccount:
    """A winner of 120.50 in the account Stocks, a loser of 50.25 in Futures."""

    def ask(
        self, coach: httpx.Client, core: StubCore, user_id: uuid.UUID, **body: str
    ) -> httpx.Response:
        return coach.post(
            "/v1/chat",
            json={"message": "what is my P&L?", **body},
            headers=bearer(core.user_token(user_id)),
        )

    def test_the_grammar_answers_from_the_account_s_trades_and_names_it(
        self, coach: httpx.Client, core: StubCore
    ) -> None:
        user_id, stocks, futures = two_account_trader(core)
        for chosen, net in ((stocks, "120.50"), (futures, "-50.25")):
            response = self.ask(coach, core, user_id, account_id=str(chosen.id))
            assert response.status_code == 200, response.text
            body = response.json()
            assert [n["value"] for n in body["numbers"] if n["name"] == "net_pnl (USD)"] == [net]
            assert f"in the account {chosen.name}" in body["answer"]
            assert all(chosen.name in n["source"] for n in body["numbers"])
        assert {r.get("account_id") for r in core.position_requests} == {
            str(stocks.id),
            str(futures.id),
        }
        combined = self.ask(coach, core, user_id).json()
        assert [n["value"] for n in combined["numbers"] if n["name"] == "net_pnl (USD)"] == [
            "70.25"
        ]
        assert "account" not in combined["answer"]

    def test_the_model_s_tool_answers_from_the_account_s_trades(
        self, settings: Settings, llm: StubLlm, core: StubCore
    ) -> None:
        user_id, stocks, _ = two_account_trader(core)
        llm.script += [
            Scripted(tool_call_reply({"metrics": ["net_pnl"]})),
            Scripted(text_reply("You made 120.50 USD.")),
        ]
        with coach_with_model(settings, llm) as coach:
            body = self.ask(coach, core, user_id, account_id=str(stocks.id)).json()
        assert body["llm_used"] is True
        # The model did not name the account; the answer still does.
        assert body["answer"] == "In the account Stocks: You made 120.50 USD."
        first, second = llm.requests
        assert "account Stocks" in first[0]["messages"][0]["content"]
        tool_message = second[0]["messages"][-1]["content"]
        assert '"value": "120.50"' in tool_message
        assert "70.25" not in tool_message
        assert "in the account Stocks" in tool_message

    def test_another_trader_s_account_is_not_found_and_nothing_is_read(
        self, coach: httpx.Client, core: StubCore
    ) -> None:
        _, stocks, _ = two_account_trader(core)
        intruder = uuid.uuid4()
        response = self.ask(coach, core, intruder, account_id=str(stocks.id))
        assert response.status_code == 404, response.text
        assert "120.50" not in response.text
        assert core.position_requests == []


class TestChatWithModel:
    def test_the_model_answers_through_the_tool_with_grounded_numbers(
        self, coach_with_llm: httpx.Client, core: StubCore, llm: StubLlm
    ) -> None:
        user_id = trader(core)
        llm.script += [
            Scripted(tool_call_reply({"metrics": ["net_pnl", "trades"], "symbols": ["NQ"]})),
            Scripted(text_reply("On NQ you made 60.00 USD over 2 trades.")),
        ]
        response = coach_with_llm.post(
            "/v1/chat",
            json={"message": "what did I make on NQ?"},
            headers=bearer(core.user_token(user_id)),
        )
        body = response.json()
        assert body["llm_used"] is True
        assert body["answer"] == "On NQ you made 60.00 USD over 2 trades."
        assert body["tool_calls"] == [
            {
                "name": "analytics_query",
                "arguments": {"metrics": ["net_pnl", "trades"], "symbols": ["NQ"]},
            }
        ]
        first, second = llm.requests
        assert first[0]["tools"][0]["function"]["name"] == "analytics_query"
        tool_message = second[0]["messages"][-1]
        assert tool_message["role"] == "tool"
        assert '"value": "60.00"' in tool_message["content"]

    def test_a_reply_with_an_invented_number_is_replaced_by_the_template(
        self, coach_with_llm: httpx.Client, core: StubCore, llm: StubLlm
    ) -> None:
        user_id = trader(core)
        llm.script += [
            Scripted(tool_call_reply({"metrics": ["net_pnl"], "symbols": ["NQ"]})),
            Scripted(text_reply("On NQ you made 60.00 USD, about 30.00 per trade.")),
        ]
        body = coach_with_llm.post(
            "/v1/chat", json={"message": "NQ?"}, headers=bearer(core.user_token(user_id))
        ).json()
        assert body["llm_used"] is False
        assert "30.00" not in body["answer"]
        assert "net P&L 60.00 USD" in body["answer"]

    def test_malformed_arguments_go_back_to_the_model_as_an_error(
        self, coach_with_llm: httpx.Client, core: StubCore, llm: StubLlm
    ) -> None:
        user_id = trader(core)
        llm.script += [
            Scripted(tool_call_reply('{"metrics": ["net_pnl"')),
            Scripted(tool_call_reply({"metrics": ["sharpe"]})),
            Scripted(tool_call_reply({"metrics": ["trades"]})),
        ]
        body = coach_with_llm.post(
            "/v1/chat",
            json={"message": "how many trades"},
            headers=bearer(core.user_token(user_id)),
        ).json()
        assert [call["arguments"] for call in body["tool_calls"]] == [
            {},
            {"metrics": ["sharpe"]},
            {"metrics": ["trades"]},
        ]
        messages = llm.requests[2][0]["messages"]
        assert "not a JSON object" in messages[-3]["content"]
        assert "invalid arguments" in messages[-1]["content"]
        # Three rounds used without a final text: the template of the last tool result.
        assert body["llm_used"] is False
        assert "trades 3" in body["answer"]

    def test_a_chat_that_spends_its_token_budget_answers_from_the_template(
        self, settings: Settings, core: StubCore, llm: StubLlm
    ) -> None:
        # Every stand-in answer uses 450 tokens: the first round spends the whole budget.
        user_id = trader(core)
        llm.script += [
            Scripted(tool_call_reply({"metrics": ["net_pnl"]})),
            Scripted(text_reply("You made 120.00 USD.")),
        ]
        with coach_with_model(settings, llm, llm_max_tokens_per_request=450) as coach:
            body = coach.post(
                "/v1/chat",
                json={"message": "P&L in 2026"},
                headers=bearer(core.user_token(user_id)),
            ).json()
        assert body["llm_used"] is False
        assert "net P&L 120.00 USD" in body["answer"]
        [(request, *_)] = llm.requests
        assert request["max_tokens"] == 450  # never more than the budget left

    def test_a_failing_model_falls_back_to_the_grammar_without_leaking_the_key(
        self, coach_with_llm: httpx.Client, core: StubCore, llm: StubLlm
    ) -> None:
        user_id = trader(core)
        llm.script += [Scripted(SERVER_ERROR, status=503)] * 3
        body = coach_with_llm.post(
            "/v1/chat", json={"message": "P&L in 2026"}, headers=bearer(core.user_token(user_id))
        ).json()
        assert body["llm_used"] is False
        assert "net P&L 120.00 USD" in body["answer"]
        assert API_KEY not in str(body)
