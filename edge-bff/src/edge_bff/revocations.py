"""Sockets to close on every edge instance: one session's, or all of a user's."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass

from redis.asyncio import Redis
from redis.asyncio.client import PubSub

log = logging.getLogger(__name__)

_RETRY_DELAY_SECONDS = 1.0


@dataclass(frozen=True)
class Revocation:
    """Close the sockets of one session (named by its storage key) or of a whole user, but
    those of the session `spare_session_key` names."""

    reason: str
    session_key: str | None = None
    user_id: str | None = None
    spare_session_key: str | None = None

    def to_json(self) -> str:
        """The message sent between instances (a hashed session key, never a session id)."""
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: str | bytes) -> Revocation:
        """The revocation in a message; ValueError/KeyError/TypeError when it is not one."""
        fields = json.loads(raw)
        return cls(
            reason=str(fields["reason"]),
            session_key=fields.get("session_key"),
            user_id=fields.get("user_id"),
            spare_session_key=fields.get("spare_session_key"),
        )


class RedisRevocations:
    """Revocations over Redis pub/sub on `<prefix>revocations`: each instance closes its own
    sockets when it hears one, within milliseconds of the logout on another instance.

    A message missed while Redis is away is covered by every socket's periodic session
    re-check.
    """

    def __init__(self, redis: Redis, channel: str) -> None:
        self._redis = redis
        self._channel = channel
        self._task: asyncio.Task[None] | None = None

    @classmethod
    def from_url(cls, url: str, *, key_prefix: str) -> RedisRevocations:
        """Revocations on the Redis at `url`."""
        return cls(Redis.from_url(url), f"{key_prefix}revocations")

    async def start(self, handler: Callable[[Revocation], None]) -> None:
        """Subscribe (before returning, when Redis answers) and pass each revocation heard
        to `handler`, until `close`."""
        pubsub: PubSub | None
        try:
            pubsub = await self._subscribe()
        except Exception:
            log.exception("cannot subscribe to revocations yet; retrying")
            pubsub = None
        self._task = asyncio.create_task(self._listen(pubsub, handler))

    async def _subscribe(self) -> PubSub:
        pubsub = self._redis.pubsub()
        try:
            await pubsub.subscribe(self._channel)
        except BaseException:
            await _close(pubsub)
            raise
        return pubsub

    async def _listen(self, pubsub: PubSub | None, handler: Callable[[Revocation], None]) -> None:
        while True:
            try:
                if pubsub is None:
                    pubsub = await self._subscribe()
                async for message in pubsub.listen():
                    if message["type"] != "message":
                        continue
                    try:
                        revocation = Revocation.from_json(message["data"])
                    except (ValueError, KeyError, TypeError):
                        log.warning("ignored a malformed revocation message")
                        continue
                    handler(revocation)
            except asyncio.CancelledError:
                if pubsub is not None:
                    await _close(pubsub)
                raise
            except Exception:
                log.exception("revocation listener failed; resubscribing")
            if pubsub is not None:
                await _close(pubsub)
                pubsub = None
            await asyncio.sleep(_RETRY_DELAY_SECONDS)

    async def publish(self, revocation: Revocation) -> None:
        """Tell every instance; a Redis failure is logged, not raised (the local sockets are
        closed already and the others re-check their sessions on their own)."""
        try:
            await self._redis.publish(self._channel, revocation.to_json())
        except Exception:
            log.exception("could not publish a revocation")

    async def close(self) -> None:
        """Stop listening and close the connection pool."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._redis.aclose()


async def _close(pubsub: PubSub) -> None:
    with contextlib.suppress(Exception):
        await pubsub.aclose()  # type: ignore[no-untyped-call]


def open_revocations(session_store_url: str, *, key_prefix: str) -> RedisRevocations | None:
    """Revocations on the session store's Redis, where instances share sessions; None for the
    embedded store, which serves one instance."""
    if session_store_url.startswith(("redis://", "rediss://")):
        return RedisRevocations.from_url(session_store_url, key_prefix=key_prefix)
    return None
