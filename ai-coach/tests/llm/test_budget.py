"""Per-user daily budgets of tokens and estimated cost."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from ai_coach.llm.budget import DailyBudget, Prices


class TestDailyBudget:
    def test_tokens_run_out_for_one_user_only_and_come_back_the_next_day(self) -> None:
        today = [dt.date(2026, 11, 26)]
        budget = DailyBudget(1_000, Decimal(10), Prices(), today=lambda: today[0])
        spender, other = uuid.uuid4(), uuid.uuid4()
        budget.charge(spender, 700, 200)
        assert budget.allows(spender)
        budget.charge(spender, 90, 10)
        assert not budget.allows(spender)
        assert budget.allows(other)
        today[0] += dt.timedelta(days=1)
        assert budget.allows(spender)

    def test_estimated_cost_runs_out_before_tokens(self) -> None:
        prices = Prices(prompt_per_1k=Decimal("1.00"), completion_per_1k=Decimal("3.00"))
        assert prices.cost(500, 100) == Decimal("0.8")
        budget = DailyBudget(1_000_000, Decimal("1.00"), prices)
        user = uuid.uuid4()
        budget.charge(user, 500, 100)
        assert budget.allows(user)
        budget.charge(user, 200, 0)
        assert not budget.allows(user)
