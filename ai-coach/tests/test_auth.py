"""The JWKS verifier: key caching, refetch limits and refused token shapes."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ai_coach.auth import JwksVerifier
from ai_coach.errors import IssuerUnavailableError, UnauthenticatedError
from tests.stub_core import ISSUER, StubCore


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def verifier(core_url: str, clock: Clock) -> Iterator[JwksVerifier]:
    with httpx.Client() as http:
        yield JwksVerifier(
            f"{core_url}/.well-known/jwks.json", ISSUER, "tradeloop-api", http, clock=clock
        )


class TestJwksVerifier:
    def test_a_valid_token_gives_its_user(self, verifier: JwksVerifier, core: StubCore) -> None:
        user_id = uuid.uuid4()
        assert verifier.verify(core.user_token(user_id)).id == user_id

    def test_a_thousand_unknown_key_ids_fetch_the_key_set_at_most_once_more(
        self, verifier: JwksVerifier, core: StubCore
    ) -> None:
        verifier.verify(core.user_token(uuid.uuid4()))
        key = Ed25519PrivateKey.generate()
        for _ in range(1000):
            token = jwt.encode(
                {"sub": "x"}, key, algorithm="EdDSA", headers={"kid": uuid.uuid4().hex}
            )
            with pytest.raises(UnauthenticatedError):
                verifier.verify(token)
        assert core.jwks_fetches <= 2

    def test_keys_are_cached_between_tokens(self, verifier: JwksVerifier, core: StubCore) -> None:
        for _ in range(5):
            verifier.verify(core.user_token(uuid.uuid4()))
        assert core.jwks_fetches == 1

    def test_the_last_good_keys_keep_serving_while_the_issuer_is_down(
        self, verifier: JwksVerifier, core: StubCore, clock: Clock
    ) -> None:
        verifier.verify(core.user_token(uuid.uuid4()))
        core.app.router.routes = [
            r for r in core.app.router.routes if getattr(r, "path", "") != "/.well-known/jwks.json"
        ]
        clock.now += 3600
        user_id = uuid.uuid4()
        assert verifier.verify(core.user_token(user_id)).id == user_id

    def test_without_any_key_set_the_issuer_is_unavailable(self, core: StubCore) -> None:
        with httpx.Client() as http:
            verifier = JwksVerifier("http://127.0.0.1:9/jwks.json", ISSUER, "tradeloop-api", http)
            with pytest.raises(IssuerUnavailableError):
                verifier.verify(core.user_token(uuid.uuid4()))

    @pytest.mark.parametrize("algorithm", ["HS256", "none"])
    def test_symmetric_and_unsigned_tokens_are_refused(
        self, verifier: JwksVerifier, algorithm: str
    ) -> None:
        key = "a-shared-secret-that-is-long-enough-for-hs256" if algorithm == "HS256" else ""
        token = jwt.encode({"sub": str(uuid.uuid4())}, key, algorithm=algorithm)
        with pytest.raises(UnauthenticatedError, match="algorithm"):
            verifier.verify(token)

    def test_a_token_that_points_at_its_own_key_is_refused(
        self, verifier: JwksVerifier, core: StubCore
    ) -> None:
        tampered = jwt.encode(
            {"sub": "x"},
            core.signing_key,
            algorithm="EdDSA",
            headers={"kid": "stub-key-1", "jku": "https://evil.example/jwks"},
        )
        with pytest.raises(UnauthenticatedError, match="refused"):
            verifier.verify(tampered)
