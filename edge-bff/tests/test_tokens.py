from __future__ import annotations

import base64
import json
import time
import uuid

import anyio
import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm
from pydantic import ValidationError
from starlette.testclient import TestClient

from edge_bff.config import JwtAlgorithm, Settings
from edge_bff.tokens import InvalidTokenError, JwksCache, TokenVerifier

from .stubs import AUDIENCE, ISSUER, CoreStub


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unsigned(header: dict[str, str], claims: dict[str, object]) -> str:
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}."


def _claims(subject: str) -> dict[str, object]:
    now = int(time.time())
    return {"iss": ISSUER, "aud": AUDIENCE, "sub": subject, "iat": now, "exp": now + 600}


def _verifier(cache: JwksCache, *, algorithm: JwtAlgorithm = "EdDSA") -> TokenVerifier:
    return TokenVerifier(
        cache, algorithm=algorithm, issuer=ISSUER, audience=AUDIENCE, leeway_seconds=30
    )


def _bearer(client: TestClient, token: str) -> httpx.Response:
    response: httpx.Response = client.get(
        "/api/v1/accounts", headers={"authorization": f"Bearer {token}"}
    )
    return response


class TestBearerVerification:
    def test_a_valid_token_reaches_core(self, client: TestClient, core: CoreStub) -> None:
        subject = str(uuid.uuid4())

        response = _bearer(client, core.issuer.sign(subject))

        assert response.status_code == 200
        assert response.json()["user"] == subject

    def test_alg_none_is_refused(self, client: TestClient, core: CoreStub) -> None:
        token = _unsigned({"alg": "none", "kid": core.issuer.kid}, _claims("x"))

        assert _bearer(client, token).status_code == 401

    def test_hs256_signed_with_the_public_key_is_refused(
        self, client: TestClient, core: CoreStub
    ) -> None:
        public = core.issuer.jwks()["keys"][0]["x"]
        header = {"alg": "HS256", "kid": core.issuer.kid, "typ": "JWT"}
        signing_input = (
            f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(_claims('x')).encode())}"
        )
        import hashlib
        import hmac

        mac = hmac.new(public.encode(), signing_input.encode(), hashlib.sha256).digest()

        assert _bearer(client, f"{signing_input}.{_b64(mac)}").status_code == 401

    @pytest.mark.parametrize("parameter", ["jku", "x5u", "jwk", "crit"])
    def test_key_choosing_headers_are_refused(
        self, client: TestClient, core: CoreStub, parameter: str
    ) -> None:
        token = jwt.encode(
            _claims("x"),
            core.issuer.key,
            algorithm="EdDSA",
            headers={"kid": core.issuer.kid, parameter: "https://evil.test/x"},
        )

        assert _bearer(client, token).status_code == 401

    def test_an_expired_token_is_refused(self, client: TestClient, core: CoreStub) -> None:
        token = core.issuer.sign("x", exp=int(time.time()) - 120)

        response = _bearer(client, token)

        assert response.status_code == 401
        assert "expired" in response.json()["detail"]

    def test_a_token_for_another_audience_is_refused(
        self, client: TestClient, core: CoreStub
    ) -> None:
        assert _bearer(client, core.issuer.sign("x", aud="tradeloop-internal")).status_code == 401

    def test_a_token_not_valid_yet_is_refused(self, client: TestClient, core: CoreStub) -> None:
        token = core.issuer.sign("x", nbf=int(time.time()) + 600)

        assert _bearer(client, token).status_code == 401

    def test_a_clock_a_few_seconds_ahead_at_the_issuer_is_tolerated(
        self, client: TestClient, core: CoreStub
    ) -> None:
        now = int(time.time())
        token = core.issuer.sign("x", nbf=now + 10, iat=now + 10)

        assert _bearer(client, token).status_code == 200

    def test_an_es256_token_is_refused_while_core_signs_with_eddsa(
        self, client: TestClient, core: CoreStub
    ) -> None:
        key = ec.generate_private_key(ec.SECP256R1())
        token = jwt.encode(_claims("x"), key, algorithm="ES256", headers={"kid": core.issuer.kid})

        assert _bearer(client, token).status_code == 401

    def test_an_unknown_kid_is_refused(self, client: TestClient, core: CoreStub) -> None:
        # Core's own key under a kid its key set never names (the edge may fetch that set
        # at any moment, so the issuer itself stays as it is).
        token = jwt.encode(
            _claims("x"), core.issuer.key, algorithm="EdDSA", headers={"kid": "unknown-kid"}
        )

        assert _bearer(client, token).status_code == 401


class TestJwksCache:
    @pytest.mark.anyio
    async def test_a_thousand_unknown_kids_cost_at_most_one_refetch(
        self, core_stub: tuple[CoreStub, str]
    ) -> None:
        core, url = core_stub
        async with httpx.AsyncClient() as client:
            cache = JwksCache(
                client, f"{url}/.well-known/jwks.json", ttl_seconds=600, cooldown_seconds=30
            )
            assert await cache.key(core.issuer.kid) is not None
            fetched = cache.fetch_count

            async with anyio.create_task_group() as tasks:
                for _ in range(1000):
                    tasks.start_soon(cache.key, uuid.uuid4().hex)

            assert cache.fetch_count - fetched <= 1
            assert await cache.key(core.issuer.kid) is not None

    @pytest.mark.anyio
    async def test_the_last_good_keys_are_kept_while_the_issuer_is_down(
        self, core: CoreStub, core_stub: tuple[CoreStub, str]
    ) -> None:
        now = [0.0]
        async with httpx.AsyncClient() as client:
            cache = JwksCache(
                client,
                f"{core_stub[1]}/.well-known/jwks.json",
                ttl_seconds=600,
                cooldown_seconds=30,
                monotonic=lambda: now[0],
            )
            verifier = _verifier(cache)
            await verifier.verify(core.issuer.sign("x"))
            core.jwks_down = True
            now[0] = 3600.0

            verified = await verifier.verify(core.issuer.sign("y"))
            with anyio.fail_after(5):
                while cache.fetch_count < 2:
                    await anyio.sleep(0.01)
            again = await verifier.verify(core.issuer.sign("z"))

            assert verified.subject == "y"
            assert again.subject == "z"

    @pytest.mark.anyio
    async def test_a_token_with_an_algorithm_other_than_its_keys_is_refused(
        self, core: CoreStub, core_stub: tuple[CoreStub, str]
    ) -> None:
        async with httpx.AsyncClient() as client:
            cache = JwksCache(
                client, f"{core_stub[1]}/.well-known/jwks.json", ttl_seconds=600, cooldown_seconds=0
            )
            # Configured for ES256, but the key the token names is core's Ed25519 key.
            verifier = _verifier(cache, algorithm="ES256")
            token = _unsigned({"alg": "ES256", "kid": core.issuer.kid}, _claims("x")) + "AAAA"

            with pytest.raises(InvalidTokenError, match="does not match"):
                await verifier.verify(token)


def _jwks_client(
    keys: list[dict[str, str]], fetched: list[int], gate: anyio.Event | None = None
) -> httpx.AsyncClient:
    """A client whose JWKS answers `keys` (the list may change), counting fetches; while
    `gate` is given and not set, every fetch after the first waits for it."""

    async def answer(_request: httpx.Request) -> httpx.Response:
        fetched.append(1)
        if gate is not None and len(fetched) > 1:
            await gate.wait()
        return httpx.Response(200, json={"keys": list(keys)})

    return httpx.AsyncClient(transport=httpx.MockTransport(answer))


def _ec_jwk(key: ec.EllipticCurvePrivateKey, kid: str) -> dict[str, str]:
    public = json.loads(ECAlgorithm.to_jwk(key.public_key()))
    return {**public, "kid": kid, "alg": "ES256", "use": "sig"}


@pytest.mark.anyio
class TestAnyIssuer:
    async def test_an_oidc_issuer_signing_with_es256_is_verified_when_configured(self) -> None:
        key = ec.generate_private_key(ec.SECP256R1())
        fetched: list[int] = []
        async with _jwks_client([_ec_jwk(key, "oidc-1")], fetched) as client:
            cache = JwksCache(
                client, "https://id.example/jwks", ttl_seconds=600, cooldown_seconds=30
            )
            verifier = _verifier(cache, algorithm="ES256")
            token = jwt.encode(_claims("x"), key, algorithm="ES256", headers={"kid": "oidc-1"})

            verified = await verifier.verify(token)

        assert verified.subject == "x"

    async def test_a_stale_key_set_is_refetched_in_the_background_while_tokens_verify(
        self,
    ) -> None:
        old, new = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
        keys, gate, now = [_ec_jwk(old, "old")], anyio.Event(), [0.0]
        fetched: list[int] = []
        async with _jwks_client(keys, fetched, gate) as client:
            cache = JwksCache(
                client,
                "https://id.example/jwks",
                ttl_seconds=600,
                cooldown_seconds=30,
                monotonic=lambda: now[0],
            )
            verifier = _verifier(cache, algorithm="ES256")
            await verifier.verify(jwt.encode(_claims("a"), old, "ES256", headers={"kid": "old"}))
            keys.append(_ec_jwk(new, "new"))
            now[0] = 601.0

            # The issuer is slow to answer the refetch: a token of a known key does not wait.
            with anyio.fail_after(5):
                verified = await verifier.verify(
                    jwt.encode(_claims("b"), old, "ES256", headers={"kid": "old"})
                )
                while len(fetched) < 2:
                    await anyio.sleep(0.01)
                gate.set()
                while await cache.key("new") is None:
                    await anyio.sleep(0.01)
            await cache.aclose()

        assert verified.subject == "b"
        assert len(fetched) == 2


class TestAlgorithmSetting:
    @pytest.mark.parametrize("algorithm", ["HS256", "none"])
    def test_a_symmetric_or_empty_algorithm_cannot_be_configured(self, algorithm: str) -> None:
        with pytest.raises(ValidationError, match="jwt_algorithm"):
            Settings(jwt_algorithm=algorithm)
