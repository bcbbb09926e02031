"""The Redis bus's trim bound when a group acknowledges between its two reads."""

from __future__ import annotations

from typing import Any, cast

import pytest
import redis.asyncio as redis

from tradeloop_contracts.bus._redis_streams import RedisBus

pytestmark = pytest.mark.anyio


class AcknowledgedMeanwhile:
    """A server whose group listed pending entries that were acknowledged before XPENDING."""

    async def xinfo_groups(self, _key: str) -> list[dict[str, Any]]:
        return [{"name": "workers", "pending": 1, "last-delivered-id": b"1700000000000-4"}]

    async def xpending(self, _key: str, _group: str) -> dict[str, Any]:
        return {"pending": 0, "min": None, "max": None, "consumers": []}


async def test_the_last_entry_read_is_needed_when_nothing_is_pending_any_more() -> None:
    bus = RedisBus(cast(redis.Redis, AcknowledgedMeanwhile()))

    assert await bus._oldest_needed("stream") == "1700000000000-4"
