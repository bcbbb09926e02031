"""GET /v1/insights of the real app against the stand-in core."""

from __future__ import annotations

import uuid
from decimal import Decimal

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.factories import positions_of, random_trader, violations_of
from tests.stub_core import StubCore


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def trader_with_disposition_effect(core: StubCore) -> uuid.UUID:
    user_id = uuid.uuid4()
    core.positions[user_id] = positions_of(random_trader(3, 60, loser_hold_factor=4.0))
    return user_id


class TestAuthentication:
    def test_a_request_without_a_token_is_refused_with_a_problem(self, coach: httpx.Client) -> None:
        response = coach.get("/v1/insights")
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert response.json()["title"] == "Unauthorized"

    def test_a_token_signed_by_another_key_is_refused(
        self, coach: httpx.Client, core: StubCore
    ) -> None:
        forged = core.user_token(uuid.uuid4(), key=Ed25519PrivateKey.generate())
        assert coach.get("/v1/insights", headers=bearer(forged)).status_code == 401

    def test_an_expired_token_is_refused(self, coach: httpx.Client, core: StubCore) -> None:
        expired = core.user_token(uuid.uuid4(), expires_in=-120)
        response = coach.get("/v1/insights", headers=bearer(expired))
        assert response.status_code == 401
        assert response.json()["detail"] == "The access token has expired."

    def test_a_token_for_another_audience_is_refused(
        self, coach: httpx.Client, core: StubCore
    ) -> None:
        internal = core.user_token(uuid.uuid4(), audience="tradeloop-internal")
        assert coach.get("/v1/insights", headers=bearer(internal)).status_code == 401

    def test_an_unsigned_token_is_refused(self, coach: httpx.Client) -> None:
        unsigned = "eyJhbGciOiJub25lIiwia2lkIjoic3R1Yi1rZXktMSJ9.eyJzdWIiOiJ4In0."
        assert coach.get("/v1/insights", headers=bearer(unsigned)).status_code == 401


class TestListInsights:
    def test_insights_are_computed_from_cores_positions_and_stored(
        self, coach: httpx.Client, core: StubCore
    ) -> None:
        user_id = trader_with_disposition_effect(core)
        response = coach.get("/v1/insights", headers=bearer(core.user_token(user_id)))
        assert response.status_code == 200
        kinds = {item["kind"] for item in response.json()["items"]}
        assert "disposition_effect" in kinds
        assert {insight.kind for insight in core.stored[user_id]} == kinds
        assert all(query["status"] == "closed" for query in core.position_requests)

    def test_the_plans_violations_are_read_as_the_trader_and_their_cost_reported(
        self, coach: httpx.Client, core: StubCore
    ) -> None:
        core.page_size = 7
        user_id = uuid.uuid4()
        trades = random_trader(8, 80)
        broken = [t for t in trades if t.net_pnl < -30][:20]
        core.positions[user_id] = positions_of(trades)
        core.violations[user_id] = violations_of(broken)
        core.violations[uuid.uuid4()] = violations_of(trades)  # another trader's plan
        response = coach.get("/v1/insights", headers=bearer(core.user_token(user_id)))
        [cost] = [
            i for i in response.json()["items"] if i["kind"].startswith("rule_violation_cost")
        ]
        assert cost["kind"] == "rule_violation_cost_cooldown_after_loss"
        assert cost["evidence"]["metrics"]["violations"] == "20"  # read over 3 pages
        assert set(cost["evidence"]["position_ids"]) == {str(t.id) for t in broken}
        assert Decimal(cost["cost"]) == -sum((t.net_pnl for t in broken), Decimal(0))

    def test_every_page_of_positions_is_read(self, coach: httpx.Client, core: StubCore) -> None:
        core.page_size = 7
        user_id = trader_with_disposition_effect(core)
        response = coach.get("/v1/insights", headers=bearer(core.user_token(user_id)))
        [disposition] = [i for i in response.json()["items"] if i["kind"] == "disposition_effect"]
        assert len(core.position_requests) == 9  # 60 positions, 7 per page
        losers = sum(p.outcome in ("win", "loss") for p in core.positions[user_id])
        assert disposition["evidence"]["sample_size"] == losers

    def test_the_same_insight_is_not_stored_twice_for_the_same_data(
        self, coach: httpx.Client, core: StubCore
    ) -> None:
        user_id = trader_with_disposition_effect(core)
        token = core.user_token(user_id)
        first = coach.get("/v1/insights", headers=bearer(token)).json()
        second = coach.get("/v1/insights", headers=bearer(token)).json()
        assert first == second
        assert len(core.stored[user_id]) == len(first["items"])

    def test_a_trader_without_positions_gets_an_empty_list(
        self, coach: httpx.Client, core: StubCore
    ) -> None:
        response = coach.get("/v1/insights", headers=bearer(core.user_token(uuid.uuid4())))
        assert response.json() == {"items": []}

    def test_only_the_callers_positions_are_read(self, coach: httpx.Client, core: StubCore) -> None:
        other = trader_with_disposition_effect(core)
        caller = uuid.uuid4()
        response = coach.get("/v1/insights", headers=bearer(core.user_token(caller)))
        assert response.json() == {"items": []}
        assert core.stored[other] == []

    def test_a_core_that_does_not_answer_gives_a_bad_gateway_problem(
        self, coach: httpx.Client, core: StubCore
    ) -> None:
        user_id = trader_with_disposition_effect(core)
        token = core.user_token(user_id)
        coach.get("/v1/insights", headers=bearer(token))  # keys cached
        core.service_tokens.clear()
        core.positions[user_id] = []
        original = core.app.router.routes
        core.app.router.routes = [r for r in original if "/internal/" not in getattr(r, "path", "")]
        response = coach.get("/v1/insights", headers=bearer(token))
        core.app.router.routes = original
        assert response.status_code == 502
        assert response.headers["content-type"] == "application/problem+json"
        assert "Traceback" not in response.text
