from __future__ import annotations

import base64
import json
import time
import uuid

import anyio
import httpx
import jwt
import pytest
from starlette.testclient import TestClient

from edge_bff.tokens import InvalidTokenError, JwksCache, TokenVerifier

from .stubs import AUDIENCE, ISSUER, CoreStub


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unsigned(header: dict[str, str], claims: dict[str, object]) -> str:
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}."


def _claims(subject: str) -> dict[str, object]:
    now = int(time.time())
    return {"iss": ISSUER, "aud": AUDIENCE, "sub": subject, "iat": now, "exp": now + 600}


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

    def test_an_unknown_kid_is_refused(self, client: TestClient, core: CoreStub) -> None:
        core.issuer.kid, real_kid = "unknown-kid", core.issuer.kid
        try:
            token = core.issuer.sign("x")
        finally:
            core.issuer.kid = real_kid

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
            assert await cache.ready()
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
            verifier = TokenVerifier(cache, issuer=ISSUER, audience=AUDIENCE, leeway_seconds=30)
            await verifier.verify(core.issuer.sign("x"))
            core.jwks_down = True
            now[0] = 3600.0

            verified = await verifier.verify(core.issuer.sign("y"))

            assert verified.subject == "y"
            assert cache.fetch_count == 2

    @pytest.mark.anyio
    async def test_a_token_with_an_algorithm_other_than_its_keys_is_refused(
        self, core: CoreStub, core_stub: tuple[CoreStub, str]
    ) -> None:
        async with httpx.AsyncClient() as client:
            cache = JwksCache(
                client, f"{core_stub[1]}/.well-known/jwks.json", ttl_seconds=600, cooldown_seconds=0
            )
            verifier = TokenVerifier(cache, issuer=ISSUER, audience=AUDIENCE, leeway_seconds=30)
            token = _unsigned({"alg": "ES256", "kid": core.issuer.kid}, _claims("x")) + "AAAA"

            with pytest.raises(InvalidTokenError, match="does not match"):
                await verifier.verify(token)
