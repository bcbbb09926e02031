"""Sessions in Redis, shared by every edge instance in the distributed mode."""

from __future__ import annotations

import json

from redis.asyncio import Redis

from .store import Session, storage_key


class RedisSessionStore:
    """Sessions as JSON strings under `<prefix><hashed id>`, expiring with the absolute timeout."""

    def __init__(
        self, redis: Redis, *, ttl_seconds: int, key_prefix: str = "edge:session:"
    ) -> None:
        self._redis = redis
        self._ttl = ttl_seconds
        self._prefix = key_prefix

    @classmethod
    def from_url(
        cls, url: str, *, ttl_seconds: int, key_prefix: str = "edge:session:"
    ) -> RedisSessionStore:
        """A store on the Redis at `redis://host:port/db` (or `rediss://`)."""
        return cls(Redis.from_url(url), ttl_seconds=ttl_seconds, key_prefix=key_prefix)

    def _key(self, session_id: str) -> str:
        return self._prefix + storage_key(session_id)

    async def get(self, session_id: str) -> Session | None:
        """The stored session, or None."""
        raw = await self._redis.get(self._key(session_id))
        return None if raw is None else Session.from_record(session_id, json.loads(raw))

    async def save(self, session: Session) -> None:
        """Create or replace the session; Redis drops it on its own after the absolute timeout."""
        await self._redis.set(self._key(session.id), json.dumps(session.to_record()), ex=self._ttl)

    async def delete(self, session_id: str) -> None:
        """Forget the session."""
        await self._redis.delete(self._key(session_id))

    async def ping(self) -> None:
        """Raise redis.RedisError when Redis does not answer."""
        await self._redis.ping()

    async def close(self) -> None:
        """Close the connection pool."""
        await self._redis.aclose()
