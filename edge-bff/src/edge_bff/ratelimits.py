"""Rate limits per client IP and per acting user: token buckets in SQLite or Redis."""

from __future__ import annotations

import asyncio
import hashlib
import math
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from redis.asyncio import Redis
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

from .clock import Clock
from .errors import problem_response
from .runtime import runtime_of

# Routes that take a password: limited far more strictly, per IP, against guessing.
AUTH_ROUTES = frozenset(
    {
        "/api/v1/auth/login",
        "/api/v1/auth/signup",
        "/api/v1/auth/token",
        "/api/v1/auth/refresh",
        "/api/v1/auth/password",
    }
)
_UNLIMITED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


@dataclass(frozen=True)
class Limit:
    """A bucket of `per_minute` tokens, refilled evenly over a minute."""

    per_minute: int

    @property
    def rate(self) -> float:
        """Tokens per second."""
        return self.per_minute / 60


@dataclass(frozen=True)
class Decision:
    """Whether one request may pass, and when to retry if not."""

    allowed: bool
    retry_after_seconds: int


class RateLimitStore(Protocol):
    """Takes one token from a named bucket, atomically."""

    async def take(self, bucket: str, limit: Limit, *, now: float) -> Decision:
        """Take a token from `bucket` (created full); a refusal says when one is back."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


def _refill(tokens: float, last: float, limit: Limit, now: float) -> float:
    return min(float(limit.per_minute), tokens + max(0.0, now - last) * limit.rate)


def _decision(tokens: float, limit: Limit) -> Decision:
    if tokens >= 1:
        return Decision(True, 0)
    return Decision(False, max(1, math.ceil((1 - tokens) / limit.rate)))


# Every bucket refills completely within a minute: one untouched that long is full, the same
# as no row at all.
_REFILL_SECONDS = 60.0


class SqliteRateLimits:
    """Buckets as rows, updated in one immediate transaction each; full buckets are deleted
    now and then, so clients that went away leave nothing behind."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._swept_at: float | None = None
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as connection:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute(
                "CREATE TABLE IF NOT EXISTS rate_buckets"
                " (bucket TEXT PRIMARY KEY, tokens REAL NOT NULL, updated_at REAL NOT NULL)"
            )

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self._path, timeout=5, isolation_level=None)

    def _take(self, bucket: str, limit: Limit, now: float) -> Decision:
        connection = self._connect()
        try:
            connection.execute("BEGIN IMMEDIATE")
            row = connection.execute(
                "SELECT tokens, updated_at FROM rate_buckets WHERE bucket = ?", (bucket,)
            ).fetchone()
            tokens = float(limit.per_minute) if row is None else _refill(row[0], row[1], limit, now)
            decision = _decision(tokens, limit)
            connection.execute(
                "INSERT INTO rate_buckets (bucket, tokens, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT (bucket) DO UPDATE SET tokens = excluded.tokens,"
                " updated_at = excluded.updated_at",
                (bucket, tokens - 1 if decision.allowed else tokens, now),
            )
            if self._swept_at is None or now - self._swept_at >= _REFILL_SECONDS:
                self._swept_at = now
                connection.execute(
                    "DELETE FROM rate_buckets WHERE updated_at < ?", (now - _REFILL_SECONDS,)
                )
            connection.execute("COMMIT")
            return decision
        finally:
            connection.close()

    async def take(self, bucket: str, limit: Limit, *, now: float) -> Decision:
        """See RateLimitStore.take."""
        return await asyncio.to_thread(self._take, bucket, limit, now)

    async def close(self) -> None:
        """Nothing to release: every call opens and closes its own connection."""


_TAKE = """
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local tokens = tonumber(state[1]) or capacity
local at = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', ARGV[3])
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate * 1000) + 1000)
return {allowed, tostring(tokens)}
"""


class RedisRateLimits:
    """Buckets as hashes, updated by one Lua script each, shared by every edge instance."""

    def __init__(self, redis: Redis, *, key_prefix: str) -> None:
        self._redis = redis
        self._prefix = key_prefix

    async def take(self, bucket: str, limit: Limit, *, now: float) -> Decision:
        """See RateLimitStore.take."""
        allowed, tokens = await self._redis.eval(
            _TAKE, 1, self._prefix + bucket, limit.per_minute, limit.rate, repr(now)
        )
        if int(allowed):
            return Decision(True, 0)
        return _decision(float(tokens), limit)

    async def close(self) -> None:
        """Close the connection pool."""
        await self._redis.aclose()


def open_rate_limits(url: str, *, key_prefix: str = "edge:") -> RateLimitStore:
    """The buckets for a `sqlite:///` or `redis://` URL; ValueError for any other scheme."""
    if url.startswith("sqlite:///"):
        return SqliteRateLimits(Path(url.removeprefix("sqlite:///")))
    if url.startswith(("redis://", "rediss://")):
        return RedisRateLimits(Redis.from_url(url), key_prefix=f"{key_prefix}rate:")
    raise ValueError("the store URL must start with sqlite:/// or redis://")


class RateLimitMiddleware:
    """Refuses with 429 and `Retry-After` once the client IP or the acting user is over limit.

    Every request and WebSocket upgrade spends a token of its IP's bucket and, when someone
    is acting on the API, of that user's (or token's, or session's) bucket; the password
    routes spend one of a much smaller per-IP bucket as well.
    """

    def __init__(
        self,
        app: ASGIApp,
        store: RateLimitStore,
        clock: Clock,
        *,
        per_ip: int,
        per_user: int,
        auth_per_ip: int,
    ) -> None:
        self.app = app
        self.store = store
        self.clock = clock
        self.per_ip = Limit(per_ip)
        self.per_user = Limit(per_user)
        self.auth_per_ip = Limit(auth_per_ip)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope["path"] in _UNLIMITED_PATHS:
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        ip = connection.client.host if connection.client is not None else "unknown"
        buckets = [(f"ip:{ip}", self.per_ip)]
        if scope["type"] == "websocket":
            pass  # sockets per user are capped where they are accepted
        elif scope["path"] in AUTH_ROUTES:
            buckets.append((f"auth:{ip}", self.auth_per_ip))
        elif scope["path"].startswith("/api/"):
            actor = await runtime_of(connection).authenticator.actor(connection)
            if actor is not None:
                digest = hashlib.sha256(actor.encode()).hexdigest()
                buckets.append((f"actor:{digest}", self.per_user))
        now = self.clock.now().timestamp()
        for bucket, limit in buckets:
            decision = await self.store.take(bucket, limit, now=now)
            if not decision.allowed:
                response = problem_response(
                    429,
                    f"Too many requests; retry in {decision.retry_after_seconds} s.",
                    headers={"retry-after": str(decision.retry_after_seconds)},
                )
                if scope["type"] == "websocket":
                    await WebSocket(scope, receive, send).send_denial_response(response)
                else:
                    await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
