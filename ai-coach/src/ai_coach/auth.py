"""Who a request acts for: users' access JWTs checked against the issuer's JWKS, personal
API tokens checked by core, and core's service tokens."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

import anyio.to_thread
import httpx
import jwt
from cachetools import TTLCache
from fastapi import Depends, Request
from pydantic import ValidationError
from tradeloop_contracts.telemetry import bind_user

from ai_coach.contracts.user import User
from ai_coach.errors import (
    CoreUnavailableError,
    ForbiddenError,
    IssuerUnavailableError,
    UnauthenticatedError,
)

ALLOWED_ALGORITHMS = frozenset({"EdDSA", "ES256"})
# Headers that let a token choose its own key or demand unknown processing.
REFUSED_HEADERS = frozenset({"crit", "jku", "x5u", "jwk", "x5c"})
LEEWAY_SECONDS = 30
# core's personal API tokens are opaque secrets with this prefix; a JWT never has it.
PERSONAL_TOKEN_PREFIX = "tlp_"


@dataclass(frozen=True)
class AuthenticatedUser:
    """The trader a request acts for, and the token that proved it."""

    id: UUID
    token: str


class JwksVerifier:
    """Checks access JWTs with keys from a JWKS URL, cached and refetched sparingly.

    Keys are cached for `cache_seconds`. A token with an unknown `kid` triggers at most
    one refetch per `cooldown_seconds`, through a single flight, so random `kid`s cannot
    flood the issuer. When the issuer is down, the last good key set keeps serving.
    Blocking: call `verify` from a worker thread, never on the event loop.
    """

    def __init__(
        self,
        jwks_url: str,
        issuer: str,
        audience: str,
        http: httpx.Client,
        cache_seconds: float = 600.0,
        cooldown_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        internal_audience: str = "tradeloop-internal",
    ) -> None:
        self._jwks_url = jwks_url
        self._issuer = issuer
        self._audience = audience
        self._internal_audience = internal_audience
        self._http = http
        self._cache_seconds = cache_seconds
        self._cooldown_seconds = cooldown_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        self._fetches = 0

    @property
    def fetch_count(self) -> int:
        """How many times the JWKS was requested, successfully or not."""
        return self._fetches

    def verify(self, token: str) -> AuthenticatedUser:
        """The user the token was issued to.

        Raises UnauthenticatedError for a malformed, forged, expired or foreign token, and
        IssuerUnavailableError when no key set was ever fetched.
        """
        claims = self._claims(token, self._audience)
        try:
            user_id = UUID(str(claims["sub"]))
        except ValueError as error:
            raise UnauthenticatedError("The access token's subject is not a user.") from error
        return AuthenticatedUser(id=user_id, token=token)

    def verify_service(self, token: str) -> str:
        """The client id of the service a service token names (subject `service:<id>`).

        Service tokens are core's, for the internal audience. Raises like `verify`.
        """
        subject = str(self._claims(token, self._internal_audience)["sub"])
        prefix, _, client_id = subject.partition(":")
        if prefix != "service" or not client_id:
            raise UnauthenticatedError("The token's subject is not a service.")
        return client_id

    def _claims(self, token: str, audience: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise UnauthenticatedError("The access token is malformed.") from error
        algorithm = header.get("alg")
        if algorithm not in ALLOWED_ALGORITHMS:
            raise UnauthenticatedError("The access token's algorithm is not accepted.")
        if REFUSED_HEADERS & header.keys():
            raise UnauthenticatedError("The access token carries a header that is refused.")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise UnauthenticatedError("The access token names no key.")
        key = self._key(kid)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=audience,
                issuer=self._issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError as error:
            raise UnauthenticatedError("The access token has expired.") from error
        except jwt.PyJWTError as error:
            raise UnauthenticatedError("The access token is not valid.") from error
        return claims

    def _key(self, kid: str) -> jwt.PyJWK:
        with self._lock:
            now = self._clock()
            stale = self._fetched_at is None or now - self._fetched_at >= self._cache_seconds
            unknown = kid not in self._keys
            cooled = (
                self._attempted_at is None or now - self._attempted_at >= self._cooldown_seconds
            )
            if (stale or unknown) and cooled:
                self._refresh(now)
            if self._fetched_at is None:
                raise IssuerUnavailableError("The token issuer's keys cannot be fetched.")
            key = self._keys.get(kid)
        if key is None:
            raise UnauthenticatedError("The access token was signed with an unknown key.")
        return key

    def _refresh(self, now: float) -> None:
        # Failures keep the last good set; the cooldown stops a retry storm.
        self._attempted_at = now
        self._fetches += 1
        try:
            response = self._http.get(self._jwks_url)
            response.raise_for_status()
            key_set = jwt.PyJWKSet.from_dict(response.json())
        except (httpx.HTTPError, ValueError, jwt.PyJWTError):
            return
        self._keys = {
            key.key_id: key
            for key in key_set.keys
            if key.key_id is not None and key.algorithm_name in ALLOWED_ALGORITHMS
        }
        self._fetched_at = now


class PersonalTokenChecker:
    """Asks core whose a personal API token is (`GET /v1/me` with the token), and remembers
    the answer for `cache_seconds`.

    Entries are keyed by the token's SHA-256, never by the token, and at most `max_entries`
    are kept. Only accepted tokens are remembered, so a revoked token keeps working here for
    at most `cache_seconds`. core's `GET /v1/me` needs the `read` scope (`write` includes
    it), which is all ai-coach's routes need: none of them changes the trader's data.
    """

    def __init__(
        self,
        core: httpx.AsyncClient,
        cache_seconds: float = 30.0,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._core = core
        self._owners: TTLCache[str, UUID] = TTLCache(max_entries, cache_seconds, timer=clock)

    async def verify(self, token: str) -> AuthenticatedUser:
        """The user the token belongs to.

        Raises UnauthenticatedError when core refuses the token (unknown, revoked, expired),
        ForbiddenError when it lacks the `read` scope, IssuerUnavailableError when core
        cannot be asked, and CoreUnavailableError when core's answer is unusable.
        """
        key = hashlib.sha256(token.encode()).hexdigest()
        user_id = self._owners.get(key)
        if user_id is None:
            user_id = await self._ask_core(token)
            self._owners[key] = user_id
        return AuthenticatedUser(id=user_id, token=token)

    async def _ask_core(self, token: str) -> UUID:
        try:
            response = await self._core.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
        except httpx.HTTPError as error:
            raise IssuerUnavailableError(
                "The personal API token cannot be checked: core does not answer."
            ) from error
        if response.status_code == 401:
            raise UnauthenticatedError("The personal API token is invalid, revoked or expired.")
        if response.status_code == 403:
            raise ForbiddenError("The personal API token lacks the read scope.")
        if response.status_code >= 500:
            raise IssuerUnavailableError(
                f"The personal API token cannot be checked: core answered {response.status_code}."
            )
        if response.status_code != 200:
            raise CoreUnavailableError(f"core answered GET /v1/me with {response.status_code}.")
        try:
            return User.model_validate_json(response.content).id
        except ValidationError as error:
            raise CoreUnavailableError("core's answer to /v1/me is not a User.") from error


def _bearer_token(request: Request) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise UnauthenticatedError("A bearer access token is required.")
    return token.strip()


async def current_user(request: Request) -> AuthenticatedUser:
    """The trader behind the request's bearer token: an access JWT or a personal API token
    (401 problem otherwise)."""
    token = _bearer_token(request)
    if token.startswith(PERSONAL_TOKEN_PREFIX):
        checker: PersonalTokenChecker = request.app.state.personal_tokens
        user = await checker.verify(token)
    else:
        verifier: JwksVerifier = request.app.state.verifier
        user = await anyio.to_thread.run_sync(verifier.verify, token)
    # The rest of the request runs in this task, so its log lines name the trader.
    bind_user(user.id)
    return user


CurrentUser = Annotated[AuthenticatedUser, Depends(current_user)]


async def current_service(request: Request) -> str:
    """The client id of the service behind the request's service token (401 otherwise)."""
    token = _bearer_token(request)
    verifier: JwksVerifier = request.app.state.verifier
    return await anyio.to_thread.run_sync(verifier.verify_service, token)


CurrentService = Annotated[str, Depends(current_service)]
