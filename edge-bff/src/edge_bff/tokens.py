"""Verification of access JWTs against the issuer's JWKS."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import jwt

from .config import JwtAlgorithm

log = logging.getLogger(__name__)

# Header parameters that would let a token choose its own key or semantics.
FORBIDDEN_HEADERS = frozenset({"crit", "jku", "x5u", "jwk", "x5c"})


class InvalidTokenError(Exception):
    """The token is not a valid access token of our issuer; the message says why."""


@dataclass(frozen=True)
class VerifiedToken:
    """The claims that matter of a verified access token."""

    subject: str
    expires_at: int
    claims: Mapping[str, Any]


class JwksCache:
    """The issuer's signing keys, cached; requests never wait on the issuer for a known key.

    A key set older than `ttl_seconds` keeps serving while a background task fetches the new
    one. A token with an unknown `kid` waits for one refetch, shared by every request that
    needs it (single flight) and not more often than every `cooldown_seconds`, so a flood of
    random kids costs one fetch. While the issuer is down the last good set is kept.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        url: str,
        *,
        ttl_seconds: float,
        cooldown_seconds: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._url = url
        self._ttl = ttl_seconds
        self._cooldown = cooldown_seconds
        self._monotonic = monotonic
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._last_attempt: float | None = None
        self._lock = asyncio.Lock()
        self._background: asyncio.Task[None] | None = None
        self.fetch_count = 0

    async def _fetch(self) -> None:
        self._last_attempt = self._monotonic()
        self.fetch_count += 1
        try:
            response = await self._client.get(self._url)
            response.raise_for_status()
            key_set = jwt.PyJWKSet.from_dict(response.json())
        except (httpx.HTTPError, ValueError, jwt.PyJWTError) as exc:
            log.warning("JWKS fetch from %s failed: %s", self._url, type(exc).__name__)
            return
        self._keys = {key.key_id: key for key in key_set.keys if key.key_id}
        self._fetched_at = self._monotonic()

    def _is_stale(self) -> bool:
        return self._fetched_at is None or self._monotonic() - self._fetched_at > self._ttl

    def _may_refetch(self) -> bool:
        return self._last_attempt is None or (
            self._monotonic() - self._last_attempt >= self._cooldown
        )

    async def _fetch_if_stale(self) -> None:
        async with self._lock:
            if self._is_stale() and self._may_refetch():
                await self._fetch()

    def refresh_in_background(self) -> None:
        """Start fetching the key set unless a fetch runs or the cooldown forbids it."""
        busy = self._lock.locked() or (self._background is not None and not self._background.done())
        if not busy and self._may_refetch():
            self._background = asyncio.create_task(self._fetch_if_stale())

    async def key(self, kid: str) -> jwt.PyJWK | None:
        """The key with this id, or None when the issuer does not (or cannot now) name it."""
        known = self._keys.get(kid)
        if known is not None:
            if self._is_stale():
                self.refresh_in_background()
            return known
        # Wait for a fetch already in flight rather than answer from the old set.
        if self._lock.locked() or self._may_refetch():
            async with self._lock:
                # Another request may have fetched while this one waited for the lock.
                if kid not in self._keys and self._may_refetch():
                    await self._fetch()
        return self._keys.get(kid)

    async def aclose(self) -> None:
        """Stop a background fetch still running."""
        if self._background is not None:
            self._background.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._background


class TokenVerifier:
    """Checks signature, algorithm, issuer, audience and expiry of access tokens."""

    def __init__(
        self,
        keys: JwksCache,
        *,
        algorithm: JwtAlgorithm,
        issuer: str,
        audience: str,
        leeway_seconds: int,
    ) -> None:
        self._keys = keys
        self._algorithm = algorithm
        self._issuer = issuer
        self._audience = audience
        self._leeway = leeway_seconds

    async def verify(self, token: str) -> VerifiedToken:
        """The verified token; InvalidTokenError naming the first problem found."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidTokenError("malformed token") from exc
        algorithm = header.get("alg")
        if algorithm != self._algorithm:
            raise InvalidTokenError("algorithm not allowed")
        if FORBIDDEN_HEADERS & header.keys():
            raise InvalidTokenError("forbidden header parameter")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidTokenError("token names no key")
        key = await self._keys.key(kid)
        if key is None:
            raise InvalidTokenError("unknown signing key")
        if key.algorithm_name != algorithm:
            raise InvalidTokenError("algorithm does not match the key")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                # nbf is checked (with the same leeway) whenever a token carries it.
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise InvalidTokenError("token expired") from exc
        except jwt.PyJWTError as exc:
            raise InvalidTokenError("token rejected") from exc
        return VerifiedToken(
            subject=str(claims["sub"]), expires_at=int(claims["exp"]), claims=claims
        )
