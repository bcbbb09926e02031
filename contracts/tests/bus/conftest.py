import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import redis.asyncio as redis

from tradeloop_contracts.bus import Bus, open_bus

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(params=["embedded", "redis"])
async def bus(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Bus]:
    """A fresh, empty bus of each kind: a new file, or a random key prefix on Redis."""
    async with fresh_bus(request.param, tmp_path) as opened:
        yield opened


@pytest.fixture(params=["embedded", "redis"])
async def capped_bus(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[Bus, int]]:
    """A fresh bus of each kind whose streams keep about three entries, and that cap."""
    cap = 3
    async with fresh_bus(request.param, tmp_path, stream_max_length=cap) as opened:
        yield opened, cap


@contextlib.asynccontextmanager
async def fresh_bus(kind: str, tmp_path: Path, **options: int) -> AsyncIterator[Bus]:
    if kind == "embedded":
        embedded = open_bus(f"sqlite:///{tmp_path}/bus.db", **options)
        yield embedded
        await embedded.close()
        return
    prefix = f"test-{uuid.uuid4().hex}"
    separator = "&" if "?" in TEST_REDIS_URL else "?"
    streams = open_bus(f"{TEST_REDIS_URL}{separator}prefix={prefix}", **options)
    yield streams
    await streams.close()
    client = redis.Redis.from_url(TEST_REDIS_URL)
    keys = [key async for key in client.scan_iter(match=f"{prefix}:*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()
