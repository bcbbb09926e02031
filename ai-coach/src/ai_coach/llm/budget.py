"""Per-user daily budgets of model tokens and their estimated cost, kept in memory.

In memory on purpose: the budget bounds spend, it is not billing. Each replica counts
its own users' calls and the count restarts with the process or at 00:00 UTC, so the
real ceiling is the configured budget times the number of replicas; that is stated in
the README. Counts are per user id and UTC day, and old days are dropped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID


@dataclass(frozen=True)
class Prices:
    """Estimated price of 1,000 prompt tokens and of 1,000 completion tokens."""

    prompt_per_1k: Decimal = Decimal(0)
    completion_per_1k: Decimal = Decimal(0)

    def cost(self, prompt_tokens: int, completion_tokens: int) -> Decimal:
        """The estimated cost of that many tokens."""
        return (
            self.prompt_per_1k * prompt_tokens + self.completion_per_1k * completion_tokens
        ) / 1000


@dataclass
class _Spent:
    tokens: int = 0
    cost: Decimal = Decimal(0)


class DailyBudget:
    """How many tokens and how much estimated cost each user may spend per UTC day."""

    def __init__(
        self,
        tokens_per_day: int,
        cost_per_day: Decimal,
        prices: Prices,
        today: Callable[[], dt.date] = lambda: dt.datetime.now(dt.UTC).date(),
    ) -> None:
        self._tokens_per_day = tokens_per_day
        self._cost_per_day = cost_per_day
        self._prices = prices
        self._today = today
        self._spent: dict[tuple[UUID, dt.date], _Spent] = {}

    def allows(self, user_id: UUID) -> bool:
        """True while the user has tokens and cost left today."""
        spent = self._spent.get((user_id, self._today()), _Spent())
        return spent.tokens < self._tokens_per_day and spent.cost < self._cost_per_day

    def charge(self, user_id: UUID, prompt_tokens: int, completion_tokens: int) -> None:
        """Count a call's tokens and estimated cost against the user's day."""
        today = self._today()
        for key in [key for key in self._spent if key[1] != today]:
            del self._spent[key]
        spent = self._spent.setdefault((user_id, today), _Spent())
        spent.tokens += prompt_tokens + completion_tokens
        spent.cost += self._prices.cost(prompt_tokens, completion_tokens)
