"""Where idempotency keys and the responses they answered live: SQLite or Redis."""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from redis.asyncio import Redis


@dataclass(frozen=True)
class StoredResponse:
    """What a completed request answered: replayed byte for byte to a repeat."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def to_record(self) -> dict[str, object]:
        """The response as JSON-friendly values."""
        return {
            "status": self.status,
            "headers": [list(pair) for pair in self.headers],
            "body": base64.b64encode(self.body).decode(),
        }

    @classmethod
    def from_record(cls, record: dict[str, object]) -> StoredResponse:
        """The response `to_record` wrote; KeyError/ValueError/TypeError when damaged."""
        status, headers, body = record["status"], record["headers"], record["body"]
        if not isinstance(status, int) or not isinstance(headers, list):
            raise ValueError("damaged idempotency record")
        return cls(
            status=status,
            headers=[(str(name), str(value)) for name, value in headers],
            body=base64.b64decode(str(body)),
        )


@dataclass(frozen=True)
class Claimed:
    """This request owns the key now; `owner` proves it when completing or releasing."""

    owner: str


@dataclass(frozen=True)
class InFlight:
    """Another request holds the key and has not finished."""

    fingerprint: str


@dataclass(frozen=True)
class Completed:
    """The key already answered; `response` is what it answered."""

    fingerprint: str
    response: StoredResponse


Outcome = Claimed | InFlight | Completed


class IdempotencyStore(Protocol):
    """Atomic claims with a lease, and the stored response of each completed key."""

    async def claim(self, key: str, fingerprint: str, *, now: float) -> Outcome:
        """Claim `key` for a request with this fingerprint, or say who holds it.

        A claim whose lease ran out (its owner crashed) or a completed key past its retention
        is taken over, so no key stays in flight forever.
        """
        ...

    async def complete(self, key: str, owner: str, response: StoredResponse, *, now: float) -> None:
        """Store the owner's response for the retention period (nothing if the lease was lost)."""
        ...

    async def release(self, key: str, owner: str) -> None:
        """Give up the owner's claim, so a retry may run the request again."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS idempotency_keys ("
    " key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, owner TEXT NOT NULL,"
    " expires_at REAL NOT NULL, response TEXT)",
    "CREATE INDEX IF NOT EXISTS idempotency_keys_expiry ON idempotency_keys (expires_at)",
)


class SqliteIdempotencyStore:
    """Keys as rows; a claim is one `INSERT ... ON CONFLICT` that only takes over expired rows."""

    def __init__(self, path: Path, *, lease_seconds: float, retention_seconds: float) -> None:
        self._path = path
        self._lease = lease_seconds
        self._retention = retention_seconds
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as connection:
            connection.execute("PRAGMA journal_mode=WAL")
            for statement in _SCHEMA:
                connection.execute(statement)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self._path, timeout=5, isolation_level=None)

    def _claim(self, key: str, fingerprint: str, now: float) -> Outcome:
        owner = secrets.token_hex(16)
        with self._connect() as connection:
            cursor = connection.execute(
                "INSERT INTO idempotency_keys (key, fingerprint, owner, expires_at, response)"
                " VALUES (?, ?, ?, ?, NULL)"
                " ON CONFLICT (key) DO UPDATE SET fingerprint = excluded.fingerprint,"
                " owner = excluded.owner, expires_at = excluded.expires_at, response = NULL"
                " WHERE idempotency_keys.expires_at <= ?",
                (key, fingerprint, owner, now + self._lease, now),
            )
            if cursor.rowcount == 1:
                return Claimed(owner)
            row = connection.execute(
                "SELECT fingerprint, response FROM idempotency_keys WHERE key = ?", (key,)
            ).fetchone()
        if row is None:
            # Deleted between the two statements (a release): try once more.
            return self._claim(key, fingerprint, now)
        stored_fingerprint, response = row
        if response is None:
            return InFlight(stored_fingerprint)
        return Completed(stored_fingerprint, StoredResponse.from_record(json.loads(response)))

    def _complete(self, key: str, owner: str, response: StoredResponse, now: float) -> None:
        with self._connect() as connection:
            connection.execute(
                "UPDATE idempotency_keys SET response = ?, expires_at = ?"
                " WHERE key = ? AND owner = ?",
                (json.dumps(response.to_record()), now + self._retention, key, owner),
            )
            connection.execute("DELETE FROM idempotency_keys WHERE expires_at <= ?", (now,))

    def _release(self, key: str, owner: str) -> None:
        with self._connect() as connection:
            connection.execute(
                "DELETE FROM idempotency_keys WHERE key = ? AND owner = ? AND response IS NULL",
                (key, owner),
            )

    async def claim(self, key: str, fingerprint: str, *, now: float) -> Outcome:
        """See IdempotencyStore.claim."""
        return await asyncio.to_thread(self._claim, key, fingerprint, now)

    async def complete(self, key: str, owner: str, response: StoredResponse, *, now: float) -> None:
        """See IdempotencyStore.complete."""
        await asyncio.to_thread(self._complete, key, owner, response, now)

    async def release(self, key: str, owner: str) -> None:
        """See IdempotencyStore.release."""
        await asyncio.to_thread(self._release, key, owner)

    async def close(self) -> None:
        """Nothing to release: every call opens and closes its own connection."""


# Complete or release only while the caller still owns the claim (its lease may have passed
# to another request).
_COMPLETE = """
local current = redis.call('GET', KEYS[1])
if current then
  local record = cjson.decode(current)
  if record['owner'] == ARGV[1] then
    record['response'] = ARGV[2]
    redis.call('SET', KEYS[1], cjson.encode(record), 'PX', ARGV[3])
    return 1
  end
end
return 0
"""
_RELEASE = """
local current = redis.call('GET', KEYS[1])
if current then
  local record = cjson.decode(current)
  if record['owner'] == ARGV[1] and record['response'] == nil then
    redis.call('DEL', KEYS[1])
    return 1
  end
end
return 0
"""


class RedisIdempotencyStore:
    """Keys as JSON strings; a claim is `SET NX PX <lease>`, so Redis ends a crashed lease."""

    def __init__(
        self, redis: Redis, *, lease_seconds: float, retention_seconds: float, key_prefix: str
    ) -> None:
        self._redis = redis
        self._lease_ms = int(lease_seconds * 1000)
        self._retention_ms = int(retention_seconds * 1000)
        self._prefix = key_prefix

    async def claim(self, key: str, fingerprint: str, *, now: float) -> Outcome:  # noqa: ARG002
        """See IdempotencyStore.claim (Redis measures the lease on its own clock)."""
        owner = secrets.token_hex(16)
        record = json.dumps({"fingerprint": fingerprint, "owner": owner})
        for _ in range(3):
            if await self._redis.set(self._prefix + key, record, nx=True, px=self._lease_ms):
                return Claimed(owner)
            raw = await self._redis.get(self._prefix + key)
            if raw is None:
                continue  # expired or released in between: claim again
            current = json.loads(raw)
            if current.get("response") is None:
                return InFlight(current["fingerprint"])
            response = StoredResponse.from_record(json.loads(current["response"]))
            return Completed(current["fingerprint"], response)
        return InFlight(fingerprint)

    async def complete(
        self,
        key: str,
        owner: str,
        response: StoredResponse,
        *,
        now: float,  # noqa: ARG002
    ) -> None:
        """See IdempotencyStore.complete."""
        await self._redis.eval(
            _COMPLETE,
            1,
            self._prefix + key,
            owner,
            json.dumps(response.to_record()),
            self._retention_ms,
        )

    async def release(self, key: str, owner: str) -> None:
        """See IdempotencyStore.release."""
        await self._redis.eval(_RELEASE, 1, self._prefix + key, owner)

    async def close(self) -> None:
        """Close the connection pool."""
        await self._redis.aclose()


def open_idempotency_store(
    url: str, *, lease_seconds: float, retention_seconds: float, key_prefix: str = "edge:"
) -> IdempotencyStore:
    """The store for a `sqlite:///` or `redis://` URL; ValueError for any other scheme."""
    if url.startswith("sqlite:///"):
        return SqliteIdempotencyStore(
            Path(url.removeprefix("sqlite:///")),
            lease_seconds=lease_seconds,
            retention_seconds=retention_seconds,
        )
    if url.startswith(("redis://", "rediss://")):
        return RedisIdempotencyStore(
            Redis.from_url(url),
            lease_seconds=lease_seconds,
            retention_seconds=retention_seconds,
            key_prefix=f"{key_prefix}idem:",
        )
    raise ValueError("the store URL must start with sqlite:/// or redis://")
