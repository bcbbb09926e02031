from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from obstore.store import LocalStore
from pydantic import SecretStr

from tests.stub_core import CLIENT_SECRET, StubCore, serve_stub_core
from workers.core import CoreClient
from workers.imports.storage import open_object_store


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


@pytest.fixture
async def core(stub_core: StubCore) -> AsyncIterator[CoreClient]:
    async with httpx.AsyncClient(base_url=stub_core.url, timeout=5) as http:
        yield CoreClient(http, client_secret=SecretStr(CLIENT_SECRET), retry_seconds=20)


@pytest.fixture
def object_store(tmp_path: Path) -> LocalStore:
    store = open_object_store((tmp_path / "objects").as_uri())
    assert isinstance(store, LocalStore)
    return store
