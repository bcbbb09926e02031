from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis
from obstore.store import LocalStore
from pydantic import SecretStr
from tradeloop_contracts.bus import Bus, open_bus

from tests.stub_alpaca import StubAlpaca, serve_stub_alpaca
from tests.stub_core import CLIENT_SECRET, StubCore, serve_stub_core
from workers.core import CoreClient, core_http
from workers.imports.parse_process import ParseProcess
from workers.imports.storage import open_object_store

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def stub_core_server() -> Iterator[StubCore]:
    with serve_stub_core() as state:
        yield state


@pytest.fixture
def stub_core(stub_core_server: StubCore) -> StubCore:
    """The running stub, emptied of what earlier tests left in it."""
    fresh = StubCore(url=stub_core_server.url, lock=stub_core_server.lock)
    with stub_core_server.lock:
        for name, value in vars(fresh).items():
            if name not in ("url", "lock"):
                setattr(stub_core_server, name, value)
    return stub_core_server


@pytest.fixture(scope="session")
def stub_alpaca_server() -> Iterator[StubAlpaca]:
    with serve_stub_alpaca() as state:
        yield state


@pytest.fixture
def stub_alpaca(stub_alpaca_server: StubAlpaca) -> StubAlpaca:
    """The running stub Alpaca, emptied of what earlier tests left in it."""
    fresh = StubAlpaca(url=stub_alpaca_server.url, lock=stub_alpaca_server.lock)
    with stub_alpaca_server.lock:
        for name, value in vars(fresh).items():
            if name not in ("url", "lock"):
                setattr(stub_alpaca_server, name, value)
    return stub_alpaca_server


@pytest.fixture
async def core(stub_core: StubCore) -> AsyncIterator[CoreClient]:
    async with core_http(stub_core.url, timeout=5) as http:
        yield CoreClient(http, client_secret=SecretStr(CLIENT_SECRET), retry_seconds=20)


@pytest.fixture
async def parser() -> AsyncIterator[ParseProcess]:
    """A parse process of the test's own, stopped at the end."""
    process = ParseProcess()
    try:
        yield process
    finally:
        await process.aclose()


@pytest.fixture
def object_store(tmp_path: Path) -> LocalStore:
    store = open_object_store((tmp_path / "objects").as_uri())
    assert isinstance(store, LocalStore)
    return store


@pytest.fixture(params=["embedded", "redis"])
def bus_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A bus of its own for one test: an embedded store in a temporary folder, or Redis
    under a random key prefix (removed afterwards)."""
    if request.param == "embedded":
        yield f"sqlite:///{tmp_path}/bus.db"
        return
    prefix = f"workers-test-{uuid.uuid4().hex}"
    with redis.Redis.from_url(TEST_REDIS_URL) as client:
        client.ping()  # an unreachable server fails the test here, with redis' own error
        try:
            yield f"{TEST_REDIS_URL}?prefix={prefix}"
        finally:
            keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
            if keys:
                client.delete(*keys)


@pytest.fixture
async def bus(bus_url: str) -> AsyncIterator[Bus]:
    opened = open_bus(bus_url)
    try:
        yield opened
    finally:
        await opened.close()
