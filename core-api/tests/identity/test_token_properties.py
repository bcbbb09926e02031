"""Property tests: whatever is changed about a token, verification refuses it."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import given, settings
from hypothesis import strategies as st

from core_api.errors import UnauthorizedError
from core_api.identity.tokens import PUBLIC_AUDIENCE, KeyRing, SigningKey, TokenIssuer

ISSUER = "tradeloop-core"
KEY = SigningKey.generate()
TOKENS = TokenIssuer(keys=KeyRing.of(KEY), issuer=ISSUER)
HASHES = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def claims(**changes: Any) -> dict[str, Any]:
    now = int(dt.datetime.now(dt.UTC).timestamp())
    base = {
        "iss": ISSUER,
        "aud": PUBLIC_AUDIENCE,
        "sub": "00000000-0000-0000-0000-000000000001",
        "iat": now,
        "exp": now + 300,
        "jti": "j",
    }
    return base | changes


def signed(payload: dict[str, Any]) -> str:
    """A token properly signed with core's key, whatever its claims say."""
    header = b64(json.dumps({"alg": "EdDSA", "typ": "JWT", "kid": KEY.kid}).encode())
    body = b64(json.dumps(payload).encode())
    signature = KEY.private_key.sign(f"{header}.{body}".encode())
    return f"{header}.{body}.{b64(signature)}"


def refused(token: str) -> bool:
    try:
        TOKENS.verify(token, PUBLIC_AUDIENCE)
    except UnauthorizedError:
        return True
    return False


def test_an_untouched_token_verifies() -> None:
    assert not refused(signed(claims()))


class TestClaims:
    @given(st.integers(min_value=31, max_value=10**8))
    def test_expired_tokens_are_refused(self, seconds_ago: int) -> None:
        now = int(dt.datetime.now(dt.UTC).timestamp())
        assert refused(signed(claims(exp=now - seconds_ago, iat=now - seconds_ago - 60)))

    @given(st.text(max_size=40).filter(lambda text: text != PUBLIC_AUDIENCE))
    def test_other_audiences_are_refused(self, audience: str) -> None:
        assert refused(signed(claims(aud=audience)))

    @given(st.text(max_size=40).filter(lambda text: text != ISSUER))
    def test_other_issuers_are_refused(self, issuer: str) -> None:
        assert refused(signed(claims(iss=issuer)))

    @given(st.sampled_from(["exp", "iat", "iss", "aud", "sub", "jti"]))
    def test_a_missing_required_claim_is_refused(self, name: str) -> None:
        payload = claims()
        del payload[name]
        assert refused(signed(payload))


class TestAlgorithmSwaps:
    @given(st.sampled_from(["none", "None", "NONE", "nOnE"]), st.sampled_from(["", "AA"]))
    def test_unsigned_tokens_are_refused(self, alg: str, signature: str) -> None:
        header = b64(json.dumps({"alg": alg, "kid": KEY.kid}).encode())
        assert refused(f"{header}.{b64(json.dumps(claims()).encode())}.{signature}")

    @given(
        st.sampled_from(sorted(HASHES)),
        st.sampled_from(["pem", "raw", "jwk-x"]),
    )
    def test_hmac_signed_with_the_public_key_is_refused(self, alg: str, form: str) -> None:
        public = KEY.private_key.public_key()
        secret = {
            "pem": public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo),
            "raw": public.public_bytes(Encoding.Raw, PublicFormat.Raw),
            "jwk-x": KEY.public_jwk()["x"].encode(),
        }[form]
        header = b64(json.dumps({"alg": alg, "typ": "JWT", "kid": KEY.kid}).encode())
        body = b64(json.dumps(claims()).encode())
        mac = hmac.new(secret, f"{header}.{body}".encode(), HASHES[alg]).digest()
        assert refused(f"{header}.{body}.{b64(mac)}")

    @given(st.sampled_from(["ES256", "RS256", "PS256", "EdDSA "]))
    def test_other_algorithms_in_the_header_are_refused(self, alg: str) -> None:
        token = signed(claims())
        _, body, signature = token.split(".")
        header = b64(json.dumps({"alg": alg, "kid": KEY.kid}).encode())
        assert refused(f"{header}.{body}.{signature}")


class TestTampering:
    @given(
        st.sampled_from(["sub", "aud", "exp", "iss", "jti"]),
        st.one_of(st.text(max_size=20), st.integers()),
    )
    def test_a_changed_claim_under_the_old_signature_is_refused(
        self, name: str, value: object
    ) -> None:
        payload = claims()
        if payload[name] == value:
            return
        header, _, signature = signed(payload).split(".")
        forged = b64(json.dumps(payload | {name: value}).encode())
        assert refused(f"{header}.{forged}.{signature}")

    @settings(max_examples=200)
    @given(st.data())
    def test_any_flipped_bit_is_refused(self, data: st.DataObject) -> None:
        token = signed(claims())
        segments = token.split(".")
        index = data.draw(st.integers(min_value=0, max_value=2), label="segment")
        raw = bytearray(unb64(segments[index]))
        position = data.draw(st.integers(min_value=0, max_value=len(raw) - 1), label="byte")
        raw[position] ^= 1 << data.draw(st.integers(min_value=0, max_value=7), label="bit")
        segments[index] = b64(bytes(raw))
        assert refused(".".join(segments))

    @pytest.mark.parametrize("token", ["", "a", "a.b", "a.b.c.d", "...", "Bearer x"])
    def test_garbage_is_refused(self, token: str) -> None:
        assert refused(token)
