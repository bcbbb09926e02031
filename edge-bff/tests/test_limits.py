from __future__ import annotations

import secrets
import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis
from starlette.testclient import TestClient, WebSocketDenialResponse

from edge_bff.config import Settings
from edge_bff.ratelimits import Limit, RateLimitStore, RedisRateLimits, SqliteRateLimits

from .conftest import TEST_REDIS_URL, Browser, FakeBus, FakeClock, make_client
from .stubs import CoreStub


@pytest.fixture
def strict_client(settings: Settings, clock: FakeClock, bus: FakeBus) -> Iterator[TestClient]:
    strict = settings.model_copy(
        update={
            "rate_limit_ip_per_minute": 8,
            "rate_limit_user_per_minute": 3,
            "rate_limit_auth_per_minute": 2,
        }
    )
    with make_client(strict, clock, bus) as client:
        yield client


def _bearer(core: CoreStub, user_id: str) -> dict[str, str]:
    return {"authorization": f"Bearer {core.issuer.sign(user_id)}"}


class TestRateLimits:
    def test_guessing_the_current_password_is_cut_off_too(
        self, strict_client: TestClient, core: CoreStub, user: tuple[str, str]
    ) -> None:
        attempts = [
            strict_client.post(
                "/api/v1/auth/password",
                json={"current_password": "a guess", "new_password": "a brand new passphrase"},
                headers=_bearer(core, user[1]),
            )
            for _ in range(3)
        ]

        assert [attempt.status_code for attempt in attempts] == [422, 422, 429]

    def test_password_guessing_is_cut_off_with_429_and_retry_after(
        self, strict_client: TestClient, user: tuple[str, str]
    ) -> None:
        attempts = [
            strict_client.post(
                "/api/v1/auth/token", json={"email": user[0], "password": "wrong password"}
            )
            for _ in range(3)
        ]

        assert [attempt.status_code for attempt in attempts] == [401, 401, 429]
        assert attempts[-1].headers["content-type"] == "application/problem+json"
        assert int(attempts[-1].headers["retry-after"]) == 30

    def test_each_user_has_a_budget_of_their_own(
        self, strict_client: TestClient, core: CoreStub, user: tuple[str, str]
    ) -> None:
        someone_else = core.add_user("other-limits@example.com")
        mine = [
            strict_client.get("/api/v1/accounts", headers=_bearer(core, user[1])).status_code
            for _ in range(4)
        ]
        theirs = strict_client.get("/api/v1/accounts", headers=_bearer(core, someone_else))

        assert mine == [200, 200, 200, 429]
        assert theirs.status_code == 200

    def test_each_ip_has_a_budget_whoever_calls(self, strict_client: TestClient) -> None:
        statuses = [strict_client.get("/").status_code for _ in range(9)]

        assert statuses == [200] * 8 + [429]

    def test_the_budget_refills_as_time_passes(
        self, strict_client: TestClient, clock: FakeClock, core: CoreStub, user: tuple[str, str]
    ) -> None:
        for _ in range(3):
            strict_client.get("/api/v1/accounts", headers=_bearer(core, user[1]))
        assert (
            strict_client.get("/api/v1/accounts", headers=_bearer(core, user[1])).status_code == 429
        )

        clock.advance(seconds=20)

        assert (
            strict_client.get("/api/v1/accounts", headers=_bearer(core, user[1])).status_code == 200
        )

    def test_websocket_upgrades_spend_the_ip_budget(self, strict_client: TestClient) -> None:
        statuses = []
        for _ in range(9):
            with pytest.raises(WebSocketDenialResponse) as refusal:
                with strict_client.websocket_connect("/ws"):
                    pass
            statuses.append(refusal.value.status_code)

        # Anonymous upgrades are refused (403: no Origin) until the IP's budget is spent.
        assert statuses == [403] * 8 + [429]
        assert refusal.value.headers["retry-after"].isdigit()

    def test_probes_are_never_limited(self, strict_client: TestClient) -> None:
        assert all(strict_client.get("/healthz").status_code == 200 for _ in range(12))


@pytest.mark.anyio
class TestSqliteBuckets:
    async def test_buckets_of_clients_that_went_away_are_deleted(self, tmp_path: Path) -> None:
        buckets = SqliteRateLimits(tmp_path / "edge.db")
        limit = Limit(per_minute=2)
        for client in range(5):
            await buckets.take(f"gone-{client}", limit, now=0.0)

        await buckets.take("here", limit, now=61.0)

        with sqlite3.connect(tmp_path / "edge.db") as connection:
            left = [row[0] for row in connection.execute("SELECT bucket FROM rate_buckets")]
        assert left == ["here"]


@pytest.fixture(params=["sqlite", "redis"])
async def buckets(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[RateLimitStore]:
    if request.param == "sqlite":
        yield SqliteRateLimits(tmp_path / "edge.db")
        return
    prefix = f"edge-test-{secrets.token_hex(6)}:"
    store = RedisRateLimits(Redis.from_url(TEST_REDIS_URL), key_prefix=prefix)
    yield store
    cleanup = Redis.from_url(TEST_REDIS_URL)
    keys = [key async for key in cleanup.scan_iter(match=f"{prefix}*")]
    if keys:
        await cleanup.delete(*keys)
    await cleanup.aclose()
    await store.close()


@pytest.mark.anyio
class TestBuckets:
    async def test_a_bucket_allows_its_size_then_says_when_to_retry(
        self, buckets: RateLimitStore
    ) -> None:
        limit = Limit(per_minute=2)
        decisions = [await buckets.take("b", limit, now=100.0) for _ in range(3)]

        assert [decision.allowed for decision in decisions] == [True, True, False]
        assert decisions[-1].retry_after_seconds == 30

    async def test_a_bucket_refills_at_its_rate(self, buckets: RateLimitStore) -> None:
        limit = Limit(per_minute=60)
        for _ in range(60):
            await buckets.take("b", limit, now=100.0)
        assert not (await buckets.take("b", limit, now=100.0)).allowed

        assert (await buckets.take("b", limit, now=101.0)).allowed


class TestBadInput:
    def test_a_json_body_over_the_json_limit_is_413(
        self, client: TestClient, core: CoreStub, user: tuple[str, str]
    ) -> None:
        response = client.post(
            "/api/v1/notes", json={"text": "x" * 2000}, headers=_bearer(core, user[1])
        )

        assert response.status_code == 413
        assert response.headers["content-type"] == "application/problem+json"

    def test_an_oversized_keyed_upload_is_refused_while_streaming(
        self, client: TestClient, core: CoreStub, user: tuple[str, str]
    ) -> None:
        def chunks() -> Iterator[bytes]:
            for _ in range(10):
                yield b"x" * 500

        response = client.post(
            "/api/v1/imports",
            content=chunks(),
            headers={
                **_bearer(core, user[1]),
                "idempotency-key": "big",
                "content-type": "multipart/form-data; boundary=abc",
            },
        )

        assert response.status_code == 413

    def test_a_form_body_on_a_json_route_is_415(self, logged_in_browser: Browser) -> None:
        response = logged_in_browser.request("POST", "/api/v1/accounts", data={"name": "a"})

        assert response.status_code == 415


@pytest.fixture
def logged_in_browser(browser: Browser, user: tuple[str, str]) -> Browser:
    browser.log_in(user[0])
    return browser


class TestPersonalApiTokens:
    def test_a_personal_token_reaches_core_unchanged(self, client: TestClient) -> None:
        token = "tlp_" + secrets.token_urlsafe(24)

        response = client.get("/api/v1/accounts", headers={"authorization": f"Bearer {token}"})

        assert response.status_code == 200
        assert response.json()["headers"]["authorization"] == f"Bearer {token}"

    def test_a_jwt_that_does_not_verify_is_still_stopped_at_the_edge(
        self, client: TestClient
    ) -> None:
        response = client.get("/api/v1/accounts", headers={"authorization": "Bearer not.a.jwt"})

        assert response.status_code == 401
