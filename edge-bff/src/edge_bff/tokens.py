"""Verification of access JWTs against the issuer's JWKS."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import jwt

log = logging.getLogger(__name__)

ALLOWED_ALGORITHMS = frozenset({"EdDSA", "ES256"})
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
    """The issuer's signing keys, cached.

    Keys are refreshed after `ttl_seconds`. A token with an unknown `kid` triggers at most one
    refetch at a time (single flight), and not more often than every `cooldown_seconds`, so a
    flood of random kids costs one fetch. While the issuer is down the last good set is kept.
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

    async def key(self, kid: str) -> jwt.PyJWK | None:
        """The key with this id, or None when the issuer does not (or cannot now) name it."""
        # Wait for a fetch already in flight rather than answer from the old set.
        if (kid not in self._keys or self._is_stale()) and (
            self._lock.locked() or self._may_refetch()
        ):
            async with self._lock:
                # Another request may have fetched while this one waited for the lock.
                if (kid not in self._keys or self._is_stale()) and self._may_refetch():
                    await self._fetch()
        return self._keys.get(kid)

    async def ready(self) -> bool:
        """True when a key set is known (fetching one if there is none yet)."""
        if not self._keys and (self._lock.locked() or self._may_refetch()):
            async with self._lock:
                if not self._keys and self._may_refetch():
                    await self._fetch()
        return bool(self._keys)


class TokenVerifier:
    """Checks signature, algorithm, issuer, audience and expiry of access tokens."""

    def __init__(self, keys: JwksCache, *, issuer: str, audience: str, leeway_seconds: int) -> None:
        self._keys = keys
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
        if algorithm not in ALLOWED_ALGORITHMS:
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
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise InvalidTokenError("token expired") from exc
        except jwt.PyJWTError as exc:
            raise InvalidTokenError("token rejected") from exc
        return VerifiedToken(
            subject=str(claims["sub"]), expires_at=int(claims["exp"]), claims=claims
        )
