"""Storing the weekly review through core, narrated by a model only from its own numbers."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Iterator
from decimal import Decimal
from zoneinfo import ZoneInfo

import httpx
import pytest
from pydantic import SecretStr
from tradeloop_contracts.telemetry import REGISTRY

from ai_coach.contracts.weekly_review import WeeklyReview
from ai_coach.core import CoreClient
from ai_coach.llm.budget import DailyBudget, Prices
from ai_coach.llm.client import LlmClient
from ai_coach.reviews.publishing import ReviewNarrator, publish_weekly_review
from tests.factories import START, positions_of, trade
from tests.stub_core import CLIENT_SECRET, StubCore, serve
from tests.stub_llm import Scripted, StubLlm, text_reply

UTC = ZoneInfo("UTC")
WEEK = START.date()  # Monday 2026-01-05


@pytest.fixture
def llm() -> StubLlm:
    return StubLlm()


@pytest.fixture
def llm_url(llm: StubLlm) -> Iterator[str]:
    with serve(llm.app()) as url:
        yield f"{url}/v1/"


def trader(core: StubCore) -> uuid.UUID:
    user_id = uuid.uuid4()
    trades = [
        trade("120.50", 600, START),
        trade("-50.25", 600, START + dt.timedelta(days=1)),
    ]
    core.positions[user_id] = positions_of(trades)
    return user_id


def model_uses(outcome: str) -> float:
    """How many uses of the model ended with `outcome` so far in this process."""
    labels = {"model": "gpt-4o-mini", "outcome": outcome}
    return REGISTRY.get_sample_value("llm_requests_total", labels) or 0.0


def publish(core_url: str, llm_url: str | None, user_id: uuid.UUID) -> WeeklyReview:
    async def run() -> WeeklyReview:
        async with (
            httpx.AsyncClient(base_url=core_url, timeout=10) as core_http,
            httpx.AsyncClient(base_url=llm_url or core_url, timeout=5) as llm_http,
        ):
            core = CoreClient(core_http, "ai-coach", SecretStr(CLIENT_SECRET))
            narrator = None
            if llm_url is not None:
                client = LlmClient(llm_http, "gpt-4o-mini", None, max_wait_seconds=0.1)
                budget = DailyBudget(10_000, Decimal(1), Prices())
                narrator = ReviewNarrator(client, budget, 400)
            return await publish_weekly_review(core, narrator, user_id, WEEK, UTC)

    return asyncio.run(run())


class TestPublishWeeklyReview:
    def test_without_a_model_the_template_is_stored_with_the_weeks_figures(
        self, core: StubCore, core_url: str
    ) -> None:
        user_id = trader(core)
        stored = publish(core_url, None, user_id)
        [body] = core.reviews[user_id]
        assert stored.id == uuid.UUID(body["id"])
        assert body["week_start"] == "2026-01-05"
        assert body["metrics"]["USD.week.net_pnl"] == "70.25"
        assert body["metrics"]["USD.week.trades"] == "2"
        assert body["summary"].startswith("Week of 2026-01-05. USD: 2 trades")
        assert body["report"]["focus"]["rule"] == body["focus"]

    def test_a_grounded_narrative_replaces_the_template(
        self, core: StubCore, core_url: str, llm: StubLlm, llm_url: str
    ) -> None:
        user_id = trader(core)
        llm.script.append(Scripted(text_reply("A calm week: 2 trades and 70.25 USD net.")))
        before = model_uses("ok")
        publish(core_url, llm_url, user_id)
        assert model_uses("ok") == before + 1
        [body] = core.reviews[user_id]
        assert body["summary"] == "A calm week: 2 trades and 70.25 USD net."
        assert body["report"]["narrative"] == body["summary"]
        assert '"net_pnl":"70.25"' in llm.requests[0][0]["messages"][1]["content"]

    def test_a_narrative_with_an_invented_number_keeps_the_template(
        self, core: StubCore, core_url: str, llm: StubLlm, llm_url: str
    ) -> None:
        user_id = trader(core)
        llm.script.append(Scripted(text_reply("You made 99.99 USD, your best week.")))
        before = model_uses("rejected_numbers")
        publish(core_url, llm_url, user_id)
        assert model_uses("rejected_numbers") == before + 1
        [body] = core.reviews[user_id]
        assert body["summary"].startswith("Week of 2026-01-05.")


class TestStoreWeeklyReviewRoute:
    def test_the_scheduler_stores_a_users_review_of_a_given_week(
        self, coach: httpx.Client, core: StubCore
    ) -> None:
        user_id = trader(core)
        response = coach.post(
            f"/internal/users/{user_id}/reviews/weekly",
            params={"week": "2026-01-07"},
            headers={"Authorization": f"Bearer {core.service_jwt('workers')}"},
        )
        assert response.status_code == 201
        [body] = core.reviews[user_id]
        assert response.json()["id"] == body["id"]
        assert body["week_start"] == "2026-01-05"

    def test_users_and_other_services_are_refused(
        self, coach: httpx.Client, core: StubCore
    ) -> None:
        user_id = trader(core)
        path = f"/internal/users/{user_id}/reviews/weekly"
        as_user = coach.post(path, headers={"Authorization": f"Bearer {core.user_token(user_id)}"})
        assert as_user.status_code == 401
        as_edge = coach.post(path, headers={"Authorization": f"Bearer {core.service_jwt('edge')}"})
        assert as_edge.status_code == 403
        assert core.reviews[user_id] == []
