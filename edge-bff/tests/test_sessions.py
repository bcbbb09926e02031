from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError
from redis.asyncio import Redis

from edge_bff.config import Settings
from edge_bff.sessions.redis_store import RedisSessionStore
from edge_bff.sessions.service import SessionService
from edge_bff.sessions.sqlite_store import SqliteSessionStore
from edge_bff.sessions.store import SessionStore

from .conftest import TEST_REDIS_URL, FakeClock


@pytest.fixture(params=["sqlite", "redis"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SessionStore]:
    if request.param == "sqlite":
        yield SqliteSessionStore(tmp_path / "sessions.db")
        return
    prefix = f"edge-test-{secrets.token_hex(6)}:"
    redis_store = RedisSessionStore(
        Redis.from_url(TEST_REDIS_URL), ttl_seconds=3600, key_prefix=prefix
    )
    await redis_store.ping()
    try:
        yield redis_store
    finally:
        cleaner = Redis.from_url(TEST_REDIS_URL)
        keys = [key async for key in cleaner.scan_iter(match=f"{prefix}*")]
        if keys:
            await cleaner.delete(*keys)
        await cleaner.aclose()
        await redis_store.close()


@pytest.mark.anyio
class TestSessionStores:
    async def test_a_saved_session_comes_back_intact(self, store: SessionStore) -> None:
        service = SessionService(store, FakeClock(), idle_seconds=1800, absolute_seconds=43200)
        session = await service.log_in(None, user_id="u1", access_token="a", refresh_token="r")

        loaded = await store.get(session.id)

        assert loaded is not None
        assert (loaded.user_id, loaded.access_token, loaded.refresh_token) == ("u1", "a", "r")
        assert loaded.created_at.tzinfo is not None

    async def test_a_deleted_session_is_gone(self, store: SessionStore) -> None:
        service = SessionService(store, FakeClock(), idle_seconds=1800, absolute_seconds=43200)
        session = await service.create()

        await service.end(session)

        assert await store.get(session.id) is None

    async def test_session_ids_are_long_and_unique(self, store: SessionStore) -> None:
        service = SessionService(store, FakeClock(), idle_seconds=1800, absolute_seconds=43200)

        ids = {(await service.create()).id for _ in range(20)}

        assert len(ids) == 20
        assert all(len(session_id) >= 43 for session_id in ids)

    async def test_idle_and_absolute_timeouts_end_sessions(self, store: SessionStore) -> None:
        clock = FakeClock()
        service = SessionService(store, clock, idle_seconds=1800, absolute_seconds=43200)
        idle = await service.create()
        clock.advance(minutes=30, seconds=1)

        assert await service.load(idle.id) is None
        assert await store.get(idle.id) is None

    async def test_the_store_never_holds_the_raw_session_id(self, tmp_path: Path) -> None:
        store = SqliteSessionStore(tmp_path / "s.db")
        session = await SessionService(
            store, FakeClock(), idle_seconds=1, absolute_seconds=2
        ).create()

        assert session.id.encode() not in (tmp_path / "s.db").read_bytes()


class TestSettings:
    def test_the_development_pepper_is_refused_outside_development(self) -> None:
        with pytest.raises(ValidationError, match="EDGE_CSRF_PEPPER"):
            Settings(environment="production")

    def test_a_real_pepper_is_accepted_in_production(self) -> None:
        settings = Settings(environment="production", csrf_pepper=SecretStr("p" * 40))

        assert settings.environment == "production"
