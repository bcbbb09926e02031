"""Leases shared by every worker copy, kept where the bus keeps its data.

A lease is a name held by one holder until it expires: Redis `SET NX PX` on a Redis bus,
a row in a `leases` table of the same SQLite file on the embedded bus.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import redis.asyncio as redis


class Leases(Protocol):
    """Take a named lease for a while; only one holder gets it until it expires."""

    async def acquire(self, name: str, holder: str, seconds: float) -> bool:
        """True when `holder` now holds `name` for `seconds`; False when another holds it."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


def open_leases(bus_url: str) -> Leases:
    """The lease store beside the bus at `bus_url` (`sqlite:///path` or `redis://...`).

    Raises ValueError for another scheme; the store is reached on first use.
    """
    scheme = bus_url.partition(":")[0].lower()
    if scheme == "sqlite" and bus_url.startswith("sqlite:///"):
        return SqliteLeases(Path(bus_url[len("sqlite:///") :]))
    if scheme in {"redis", "rediss"}:
        parts = urlsplit(bus_url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        prefix = "".join(value for name, value in query if name == "prefix")
        rest = urlencode([(name, value) for name, value in query if name != "prefix"])
        client = redis.Redis.from_url(urlunsplit(parts._replace(query=rest)), protocol=2)
        return RedisLeases(client, prefix=prefix)
    raise ValueError(f"no lease store for the bus URL scheme {scheme}:")


class RedisLeases:
    """`SET <prefix:>tradeloop:lease:<name> <holder> NX PX <ms>`: atomic on every Redis."""

    def __init__(self, client: redis.Redis, *, prefix: str = "") -> None:
        self._client = client
        self._prefix = f"{prefix}:" if prefix else ""

    async def acquire(self, name: str, holder: str, seconds: float) -> bool:
        key = f"{self._prefix}tradeloop:lease:{name}"
        return bool(await self._client.set(key, holder, nx=True, px=max(1, int(seconds * 1000))))

    async def close(self) -> None:
        await self._client.aclose()


class SqliteLeases:
    """A `leases` table in the embedded bus file; `BEGIN IMMEDIATE` serialises takers."""

    def __init__(self, path: Path) -> None:
        self._path = path

    async def acquire(self, name: str, holder: str, seconds: float) -> bool:
        return await asyncio.to_thread(self._acquire, name, holder, seconds)

    def _acquire(self, name: str, holder: str, seconds: float) -> bool:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        now = time.time()
        connection = sqlite3.connect(self._path, timeout=10, isolation_level=None)
        try:
            connection.execute(
                "CREATE TABLE IF NOT EXISTS leases "
                "(name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at REAL NOT NULL)"
            )
            connection.execute("BEGIN IMMEDIATE")
            try:
                connection.execute("DELETE FROM leases WHERE expires_at <= ?", (now,))
                taken = connection.execute(
                    "INSERT OR IGNORE INTO leases (name, holder, expires_at) VALUES (?, ?, ?)",
                    (name, holder, now + seconds),
                ).rowcount
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise
        finally:
            connection.close()
        return taken == 1

    async def close(self) -> None:
        return None
