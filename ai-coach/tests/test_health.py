"""Liveness and readiness."""

from __future__ import annotations

import httpx

from tests.stub_core import StubCore


class TestHealth:
    def test_healthz_answers_while_the_process_runs(self, coach: httpx.Client) -> None:
        assert coach.get("/healthz").json() == {"status": "ok"}

    def test_readyz_is_ok_when_core_answers(self, coach: httpx.Client) -> None:
        assert coach.get("/readyz").status_code == 200

    def test_readyz_is_a_problem_when_core_is_not_healthy(
        self, coach: httpx.Client, core: StubCore
    ) -> None:
        core.healthy = False
        response = coach.get("/readyz")
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
