from __future__ import annotations

import dataclasses
import json
import secrets
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError
from redis.asyncio import Redis

from edge_bff.config import Settings
from edge_bff.sessions.redis_store import RedisSessionStore
from edge_bff.sessions.service import SessionService
from edge_bff.sessions.sqlite_store import SqliteSessionStore
from edge_bff.sessions.store import SessionStore, storage_key

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

    async def test_ending_a_users_sessions_ends_all_of_them_and_no_one_elses(
        self, store: SessionStore
    ) -> None:
        service = SessionService(store, FakeClock(), idle_seconds=1800, absolute_seconds=43200)
        laptop = await service.log_in(None, user_id="u1", access_token="a1", refresh_token="r1")
        phone = await service.log_in(None, user_id="u1", access_token="a2", refresh_token="r2")
        other = await service.log_in(None, user_id="u2", access_token="a3", refresh_token="r3")

        refresh_tokens = await service.end_all("u1")

        assert sorted(refresh_tokens) == ["r1", "r2"]
        assert await store.get(laptop.id) is None
        assert await store.get(phone.id) is None
        assert await store.get(other.id) is not None
        assert await service.end_all("u1") == []

    async def test_ending_a_users_other_sessions_keeps_the_one_named(
        self, store: SessionStore
    ) -> None:
        service = SessionService(store, FakeClock(), idle_seconds=1800, absolute_seconds=43200)
        laptop = await service.log_in(None, user_id="u1", access_token="a1", refresh_token="r1")
        phone = await service.log_in(None, user_id="u1", access_token="a2", refresh_token="r2")

        refresh_tokens = await service.end_all("u1", keep=laptop)

        assert refresh_tokens == ["r2"]
        assert await store.get(phone.id) is None
        assert await service.load(laptop.id) is not None
        # The kept session is still known as the user's: logging out everywhere reaches it.
        assert await service.end_all("u1") == ["r1"]

    async def test_a_request_in_flight_does_not_revive_an_ended_session(
        self, store: SessionStore
    ) -> None:
        service = SessionService(store, FakeClock(), idle_seconds=1800, absolute_seconds=43200)
        session = await service.log_in(None, user_id="u1", access_token="a", refresh_token="r")
        await service.end_all("u1")

        assert await store.update(session) is False
        assert await store.get(session.id) is None
        assert await service.load(session.id) is None

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


@pytest.mark.anyio
class TestSqliteStoreCleanUp:
    async def test_sessions_nobody_comes_back_for_are_deleted_as_new_ones_start(
        self, tmp_path: Path
    ) -> None:
        clock = FakeClock()
        store = SqliteSessionStore(tmp_path / "s.db")
        service = SessionService(store, clock, idle_seconds=1800, absolute_seconds=43200)
        abandoned = await service.create()
        clock.advance(minutes=20)
        active = await service.create()
        clock.advance(minutes=11)

        await service.create()

        assert await store.get(abandoned.id) is None
        assert await store.get(active.id) is not None

    async def test_a_session_in_use_is_deleted_at_the_absolute_timeout(
        self, tmp_path: Path
    ) -> None:
        clock = FakeClock()
        store = SqliteSessionStore(tmp_path / "s.db")
        service = SessionService(store, clock, idle_seconds=1800, absolute_seconds=43200)
        busy = await service.create()
        for _ in range(12 * 4 + 1):  # active every 15 minutes for over 12 hours
            clock.advance(minutes=15)
            await store.update(dataclasses.replace(busy, last_seen_at=clock.now()))

        await service.create()

        assert await store.get(busy.id) is None


class TestSqliteStoreUpgrade:
    @pytest.mark.anyio
    async def test_a_file_from_before_the_user_column_keeps_its_sessions_and_indexes_them(
        self, tmp_path: Path
    ) -> None:
        path = tmp_path / "old.db"
        session = await SessionService(
            SqliteSessionStore(tmp_path / "new.db"),
            FakeClock(),
            idle_seconds=1800,
            absolute_seconds=43200,
        ).log_in(None, user_id="u1", access_token="a", refresh_token="r")
        with sqlite3.connect(path) as old:
            old.execute("CREATE TABLE sessions (key TEXT PRIMARY KEY, record TEXT NOT NULL)")
            old.execute(
                "INSERT INTO sessions VALUES (?, ?)",
                (storage_key(session.id), json.dumps(session.to_record())),
            )

        store = SqliteSessionStore(path)

        assert await store.get(session.id) == session
        assert await store.delete_user_sessions("u1") == ["r"]


class TestSettings:
    def test_the_development_pepper_is_refused_outside_development(self) -> None:
        with pytest.raises(ValidationError, match="EDGE_CSRF_PEPPER"):
            Settings(environment="production")

    def test_a_real_pepper_is_accepted_in_production(self) -> None:
        settings = Settings(environment="production", csrf_pepper=SecretStr("p" * 40))

        assert settings.environment == "production"
