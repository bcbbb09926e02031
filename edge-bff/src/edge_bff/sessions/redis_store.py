"""Sessions in Redis, shared by every edge instance in the distributed mode."""

from __future__ import annotations

import datetime as dt
import json

from redis.asyncio import Redis

from .store import Session, storage_key


class RedisSessionStore:
    """Sessions as JSON strings under `<prefix><hashed id>`; each write sets the key to expire
    `ttl_seconds` later (the idle timeout), so Redis drops sessions nobody uses on its own.

    A set per user (`<prefix>by-user:<user id>`) names the user's session keys, so logging
    out everywhere and deleting an account reach every session at once.
    """

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

    def _user_key(self, user_id: str) -> str:
        return f"{self._prefix}by-user:{user_id}"

    async def get(self, session_id: str) -> Session | None:
        """The stored session, or None."""
        raw = await self._redis.get(self._key(session_id))
        return None if raw is None else Session.from_record(session_id, json.loads(raw))

    async def save(self, session: Session) -> None:
        """Create or replace the session; Redis drops it on its own once it is idle too long."""
        await self._write(session, only_if_stored=False)

    async def update(self, session: Session) -> bool:
        """Replace the session only while its key exists (`SET XX`)."""
        return await self._write(session, only_if_stored=True)

    async def _write(self, session: Session, *, only_if_stored: bool) -> bool:
        key = self._key(session.id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(key, json.dumps(session.to_record()), ex=self._ttl, xx=only_if_stored)
            if session.user_id is not None:
                pipe.sadd(self._user_key(session.user_id), key)
                pipe.expire(self._user_key(session.user_id), self._ttl)
            written = (await pipe.execute())[0]
        if not written and session.user_id is not None:
            await self._redis.srem(self._user_key(session.user_id), key)
        return bool(written)

    async def delete(self, session_id: str) -> None:
        """Forget the session (its entry in the user's set goes when the set is next read)."""
        await self._redis.delete(self._key(session_id))

    async def delete_user_sessions(self, user_id: str, *, keep: str | None = None) -> list[str]:
        """Forget every session of the user but `keep`; the refresh tokens they held."""
        user_key = self._user_key(user_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.smembers(user_key)
            pipe.delete(user_key)
            members, _ = await pipe.execute()
        kept = self._key(keep) if keep is not None else None
        if kept is not None and kept.encode() in members:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.sadd(user_key, kept)
                pipe.expire(user_key, self._ttl)
                await pipe.execute()
        keys = sorted(member.decode() for member in members if member.decode() != kept)
        if not keys:
            return []
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.mget(keys)
            pipe.delete(*keys)
            records, _ = await pipe.execute()
        tokens = [json.loads(raw).get("refresh_token") for raw in records if raw is not None]
        return [token for token in tokens if token]

    async def purge_expired(
        self,
        *,
        seen_before: dt.datetime,  # noqa: ARG002
        created_before: dt.datetime,  # noqa: ARG002
    ) -> int:
        """Nothing to do: Redis expires idle sessions itself."""
        return 0

    async def ping(self) -> None:
        """Raise redis.RedisError when Redis does not answer."""
        await self._redis.ping()

    async def close(self) -> None:
        """Close the connection pool."""
        await self._redis.aclose()
