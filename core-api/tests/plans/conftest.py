"""Fixtures shared by the plan tests."""

from __future__ import annotations

import pytest

from core_api.plans import custom_rules


class SlowClock:
    """Stands in for the `time` module: each reading of the thread's CPU time is a second
    after the last, so a trial run looks as costly as a hostile expression."""

    def __init__(self) -> None:
        self.now = 0.0

    def thread_time(self) -> float:
        self.now += 1.0
        return self.now


@pytest.fixture
def slow_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(custom_rules, "time", SlowClock())
