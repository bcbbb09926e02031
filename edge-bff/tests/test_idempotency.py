from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import anyio
import httpx
import pytest
from pydantic import ValidationError
from redis.asyncio import Redis
from starlette.testclient import TestClient

from edge_bff.app import create_app
from edge_bff.config import Settings
from edge_bff.idempotency.store import (
    Claimed,
    Completed,
    IdempotencyStore,
    InFlight,
    RedisIdempotencyStore,
    SqliteIdempotencyStore,
    StoredResponse,
)

from .conftest import TEST_REDIS_URL, FakeBus, FakeClock
from .stubs import CoreStub, serve

DAY = 24 * 60 * 60


def _bearer(core: CoreStub, user_id: str, key: str | None = None) -> dict[str, str]:
    headers = {"authorization": f"Bearer {core.issuer.sign(user_id)}"}
    if key is not None:
        headers["idempotency-key"] = key
    return headers


SOME_ID = "0b9d7a52-3f4e-4f59-9a57-0c6f1f1f2a10"


class TestIdempotencyKeys:
    @pytest.mark.parametrize(
        "path",
        [
            "/api/v1/imports",
            f"/api/v1/imports/{SOME_ID}/mapping",
            f"/api/v1/imports/{SOME_ID}/undo",
            f"/api/v1/imports/{SOME_ID}/undo?dry_run=true",
            "/api/v1/accounts",
            "/api/v1/journal/entries",
            "/api/v1/tags",
            "/api/v1/column-mappings",
            "/api/v1/playbooks",
            "/api/v1/broker-connections",
            f"/api/v1/broker-connections/{SOME_ID}/sync",
            f"/api/v1/positions/{SOME_ID}/attachments",
            f"/api/v1/journal/entries/{SOME_ID}/attachments",
            f"/api/v1/accounts/{SOME_ID}/cash-movements",
            "/api/v1/import-archive",
            "/api/v1/executions",
            "/api/v1/positions",
            "/api/v1/coach/chat",
        ],
    )
    def test_a_create_without_a_key_is_a_400_problem_naming_the_header(
        self, client: TestClient, core: CoreStub, user: tuple[str, str], path: str
    ) -> None:
        response = client.post(path, json={"name": "a"}, headers=_bearer(core, user[1]))

        assert response.status_code == 400
        assert response.headers["content-type"] == "application/problem+json"
        assert "Idempotency-Key" in response.json()["detail"]
        assert core.created == []

    def test_a_key_longer_than_255_characters_is_refused(
        self, client: TestClient, core: CoreStub, user: tuple[str, str]
    ) -> None:
        response = client.post(
            "/api/v1/accounts", json={"name": "a"}, headers=_bearer(core, user[1], "k" * 256)
        )

        assert response.status_code == 400
        assert core.created == []

    def test_a_key_is_optional_on_other_posts(
        self, client: TestClient, core: CoreStub, user: tuple[str, str]
    ) -> None:
        response = client.post("/api/v1/notes", json={}, headers=_bearer(core, user[1]))
        preview = client.post("/api/v1/plan/preview", json={}, headers=_bearer(core, user[1]))
        tags = client.post("/api/v1/positions/tags", json={}, headers=_bearer(core, user[1]))

        assert response.status_code == 200
        assert preview.status_code == 200
        assert tags.status_code == 200

    def test_a_new_personal_api_token_is_never_stored_for_a_replay(
        self, client: TestClient, core: CoreStub, user: tuple[str, str]
    ) -> None:
        headers = _bearer(core, user[1], "token-once")

        answers = [
            client.post("/api/v1/api-tokens", json={"name": "cli"}, headers=headers)
            for _ in range(2)
        ]

        assert [a.status_code for a in answers] == [200, 200]
        assert all("idempotent-replayed" not in a.headers for a in answers)

    def test_a_repeat_replays_the_first_status_and_body_without_reaching_core(
        self, client: TestClient, core: CoreStub, user: tuple[str, str]
    ) -> None:
        headers = _bearer(core, user[1], "create-1")
        first = client.post("/api/v1/accounts", json={"name": "a"}, headers=headers)
        repeat = client.post("/api/v1/accounts", json={"name": "a"}, headers=headers)

        assert first.status_code == repeat.status_code == 201
        assert repeat.json() == first.json()
        assert repeat.headers["location"] == first.headers["location"]
        assert repeat.headers["idempotent-replayed"] == "true"
        assert len(core.created) == 1

    def test_an_error_is_replayed_too(
        self, client: TestClient, core: CoreStub, user: tuple[str, str]
    ) -> None:
        headers = _bearer(core, user[1], "create-bad")
        first = client.post("/api/v1/accounts", json={"name": ""}, headers=headers)
        repeat = client.post("/api/v1/accounts", json={"name": ""}, headers=headers)

        assert first.status_code == repeat.status_code == 422
        assert repeat.json() == first.json()
        assert repeat.headers["idempotent-replayed"] == "true"

    def test_the_same_key_with_another_payload_is_a_422(
        self, client: TestClient, core: CoreStub, user: tuple[str, str]
    ) -> None:
        headers = _bearer(core, user[1], "create-2")
        client.post("/api/v1/accounts", json={"name": "a"}, headers=headers)

        other = client.post("/api/v1/accounts", json={"name": "b"}, headers=headers)

        assert other.status_code == 422
        assert other.headers["content-type"] == "application/problem+json"
        assert len(core.created) == 1

    def test_one_user_never_sees_another_users_answer_for_the_same_key(
        self, client: TestClient, core: CoreStub, user: tuple[str, str]
    ) -> None:
        someone_else = core.add_user("other-idem@example.com")
        mine = client.post(
            "/api/v1/accounts", json={"name": "a"}, headers=_bearer(core, user[1], "shared")
        )
        theirs = client.post(
            "/api/v1/accounts", json={"name": "a"}, headers=_bearer(core, someone_else, "shared")
        )

        assert "idempotent-replayed" not in theirs.headers
        assert theirs.json()["user"] == someone_else != mine.json()["user"]
        assert len(core.created) == 2

    def test_a_retried_upload_with_a_new_multipart_boundary_is_the_same_request(
        self, client: TestClient, core: CoreStub, user: tuple[str, str]
    ) -> None:
        headers = _bearer(core, user[1], "upload-1")
        files = {"file": ("fills.csv", b"symbol,qty\nES,1\n", "text/csv")}
        first = client.post("/api/v1/imports", files=files, headers=headers)
        repeat = client.post("/api/v1/imports", files=files, headers=headers)

        assert first.status_code == 200
        assert repeat.headers["idempotent-replayed"] == "true"

    def test_malformed_json_is_a_400_problem_that_says_where(
        self, client: TestClient, core: CoreStub, user: tuple[str, str]
    ) -> None:
        response = client.post(
            "/api/v1/accounts",
            content=b'{"name": ',
            headers={**_bearer(core, user[1], "bad-json"), "content-type": "application/json"},
        )

        assert response.status_code == 400
        assert "line 1, column" in response.json()["detail"]
        assert core.created == []

    def test_retention_below_a_day_is_refused(self) -> None:
        with pytest.raises(ValidationError):
            Settings(idempotency_retention_seconds=DAY - 1)


@pytest.fixture
def served_edge(settings: Settings, clock: FakeClock, bus: FakeBus) -> Iterator[str]:
    app = create_app(settings, clock=clock, bus_factory=lambda _url: bus)
    with serve(app, lifespan=True) as url:
        yield url


@pytest.fixture
async def http(served_edge: str) -> AsyncIterator[httpx.AsyncClient]:
    limits = httpx.Limits(max_connections=60)
    async with httpx.AsyncClient(base_url=served_edge, limits=limits, timeout=10) as client:
        yield client


@pytest.mark.anyio
class TestConcurrentRepeats:
    async def test_fifty_identical_requests_reach_core_once_without_a_5xx(
        self, http: httpx.AsyncClient, core: CoreStub, user: tuple[str, str]
    ) -> None:
        core.create_delay = 0.3
        headers = _bearer(core, user[1], "burst")

        responses = await asyncio.gather(
            *(http.post("/api/v1/accounts", json={"name": "a"}, headers=headers) for _ in range(50))
        )

        statuses = [response.status_code for response in responses]
        assert len(core.created) == 1
        assert all(status < 500 for status in statuses)
        assert set(statuses) <= {201, 409}
        assert statuses.count(201) >= 1

    async def test_a_repeat_in_flight_is_409_and_another_payload_in_flight_is_422(
        self, http: httpx.AsyncClient, core: CoreStub, user: tuple[str, str]
    ) -> None:
        core.hold_creates = True
        headers = _bearer(core, user[1], "slow")
        first = asyncio.create_task(
            http.post("/api/v1/accounts", json={"name": "a"}, headers=headers)
        )
        assert await anyio.to_thread.run_sync(core.create_started.wait, 10)

        same = await http.post("/api/v1/accounts", json={"name": "a"}, headers=headers)
        other = await http.post("/api/v1/accounts", json={"name": "b"}, headers=headers)
        core.release_creates.set()

        assert (await first).status_code == 201
        assert same.status_code == 409
        assert other.status_code == 422


@pytest.fixture(params=["sqlite", "redis"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[IdempotencyStore]:
    if request.param == "sqlite":
        yield SqliteIdempotencyStore(tmp_path / "edge.db", lease_seconds=0.2, retention_seconds=DAY)
        return
    prefix = f"edge-test-{secrets.token_hex(6)}:"
    redis_store = RedisIdempotencyStore(
        Redis.from_url(TEST_REDIS_URL), lease_seconds=0.2, retention_seconds=DAY, key_prefix=prefix
    )
    yield redis_store
    cleanup = Redis.from_url(TEST_REDIS_URL)
    keys = [key async for key in cleanup.scan_iter(match=f"{prefix}*")]
    if keys:
        await cleanup.delete(*keys)
    await cleanup.aclose()
    await redis_store.close()


RESPONSE = StoredResponse(status=201, headers=[("content-type", "application/json")], body=b"{}")


@pytest.mark.anyio
class TestIdempotencyStores:
    async def test_a_claimed_key_is_in_flight_for_everyone_else(
        self, store: IdempotencyStore
    ) -> None:
        now = 1_000.0
        assert isinstance(await store.claim("k", "f1", now=now), Claimed)

        outcome = await store.claim("k", "f2", now=now)

        assert outcome == InFlight("f1")

    async def test_a_completed_key_answers_with_its_response_for_a_day(
        self, store: IdempotencyStore
    ) -> None:
        now = 1_000.0
        claim = await store.claim("k", "f1", now=now)
        assert isinstance(claim, Claimed)
        await store.complete("k", claim.owner, RESPONSE, now=now)

        outcome = await store.claim("k", "f1", now=now + DAY - 60)

        assert outcome == Completed("f1", RESPONSE)

    async def test_a_crashed_claim_is_taken_over_once_its_lease_ends(
        self, store: IdempotencyStore
    ) -> None:
        now = 1_000.0
        crashed = await store.claim("k", "f1", now=now)
        await asyncio.sleep(0.3)

        retry = await store.claim("k", "f1", now=now + 0.3)

        assert isinstance(crashed, Claimed)
        assert isinstance(retry, Claimed)
        assert retry.owner != crashed.owner

    async def test_a_released_key_can_be_claimed_again(self, store: IdempotencyStore) -> None:
        claim = await store.claim("k", "f1", now=1_000.0)
        assert isinstance(claim, Claimed)
        await store.release("k", claim.owner)

        assert isinstance(await store.claim("k", "f1", now=1_000.0), Claimed)

    async def test_a_lost_lease_cannot_overwrite_the_new_owners_answer(
        self, store: IdempotencyStore
    ) -> None:
        old = await store.claim("k", "f1", now=1_000.0)
        await asyncio.sleep(0.3)
        new = await store.claim("k", "f1", now=1_000.3)
        assert isinstance(old, Claimed)
        assert isinstance(new, Claimed)
        await store.complete("k", new.owner, RESPONSE, now=1_000.3)

        await store.complete("k", old.owner, StoredResponse(500, [], b"late"), now=1_000.4)

        assert await store.claim("k", "f1", now=1_000.5) == Completed("f1", RESPONSE)
