"""The signing key, access JWTs (EdDSA) and their verification."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from jwt.algorithms import OKPAlgorithm

from core_api.config import Settings
from core_api.errors import UnauthorizedError
from core_api.kit.clock import utcnow
from core_api.kit.secret_files import read_or_create

ALGORITHM = "EdDSA"
PUBLIC_AUDIENCE = "tradeloop-api"
INTERNAL_AUDIENCE = "tradeloop-internal"
LEEWAY_SECONDS = 30
_FORBIDDEN_HEADERS = ("crit", "jku", "x5u", "jwk", "x5c")


class SigningKeyError(ValueError):
    """The configured signing keys are not usable Ed25519 JWKs."""


@dataclass(frozen=True)
class SigningKey:
    """A private Ed25519 key and its key id."""

    kid: str
    private_key: Ed25519PrivateKey

    def public_jwk(self) -> dict[str, Any]:
        return _public_jwk(self.kid, self.private_key.public_key())

    def private_jwk(self) -> dict[str, Any]:
        jwk: dict[str, Any] = OKPAlgorithm.to_jwk(self.private_key, as_dict=True)
        return {**jwk, "kid": self.kid, "alg": ALGORITHM, "use": "sig"}

    @classmethod
    def generate(cls) -> SigningKey:
        private_key = Ed25519PrivateKey.generate()
        return cls(kid=_thumbprint(private_key.public_key()), private_key=private_key)

    @classmethod
    def from_jwk(cls, text: str) -> SigningKey:
        """The key in a private JWK's JSON; raises SigningKeyError for anything else."""
        try:
            data = json.loads(text)
        except ValueError as error:
            raise SigningKeyError("not a private Ed25519 JWK") from error
        kid, key = _key_from_jwk(data)
        if not isinstance(key, Ed25519PrivateKey):
            raise SigningKeyError("not a private Ed25519 JWK")
        return cls(kid=kid, private_key=key)


@dataclass(frozen=True)
class KeyRing:
    """The key that signs and every key whose tokens are still accepted (itself included)."""

    signer: SigningKey
    verifiers: dict[str, Ed25519PublicKey]

    @classmethod
    def of(cls, signer: SigningKey, *retiring: tuple[str, Ed25519PublicKey]) -> KeyRing:
        return cls(signer, {signer.kid: signer.private_key.public_key(), **dict(retiring)})

    @classmethod
    def from_jwk_set(cls, text: str) -> KeyRing:
        """A JWK Set whose first key is private and signs; the others only verify.

        Raises SigningKeyError for anything that is not such a set, or repeats a kid.
        """
        try:
            keys = json.loads(text)["keys"]
        except (ValueError, TypeError, KeyError) as error:
            raise SigningKeyError("not a JWK Set with at least one key") from error
        if not isinstance(keys, list) or not keys:
            raise SigningKeyError("not a JWK Set with at least one key")
        parsed = [_key_from_jwk(key) for key in keys]
        kid, first = parsed[0]
        if not isinstance(first, Ed25519PrivateKey):
            raise SigningKeyError("the first key of the set signs, so it must be private")
        if len({kid for kid, _ in parsed}) != len(parsed):
            raise SigningKeyError("two keys of the set share a kid")
        retiring = [(kid, _public(key)) for kid, key in parsed[1:]]
        return cls.of(SigningKey(kid, first), *retiring)

    def public_jwks(self) -> list[dict[str, Any]]:
        return [_public_jwk(kid, key) for kid, key in self.verifiers.items()]


def _key_from_jwk(data: Any) -> tuple[str, Ed25519PrivateKey | Ed25519PublicKey]:
    if not isinstance(data, dict):
        raise SigningKeyError("not an Ed25519 JWK")
    try:
        key = OKPAlgorithm.from_jwk(data)
    except (ValueError, TypeError, jwt.PyJWTError) as error:
        raise SigningKeyError("not an Ed25519 JWK") from error
    if not isinstance(key, Ed25519PrivateKey | Ed25519PublicKey):
        raise SigningKeyError("not an Ed25519 JWK")
    return str(data.get("kid") or _thumbprint(_public(key))), key


def _public(key: Ed25519PrivateKey | Ed25519PublicKey) -> Ed25519PublicKey:
    return key.public_key() if isinstance(key, Ed25519PrivateKey) else key


def _public_jwk(kid: str, key: Ed25519PublicKey) -> dict[str, Any]:
    jwk: dict[str, Any] = OKPAlgorithm.to_jwk(key, as_dict=True)
    return {**jwk, "kid": kid, "alg": ALGORITHM, "use": "sig"}


def _thumbprint(public_key: Ed25519PublicKey) -> str:
    # RFC 7638: the SHA-256 of the required public members in lexical order.
    public: dict[str, Any] = OKPAlgorithm.to_jwk(public_key, as_dict=True)
    members = json.dumps(
        {"crv": public["crv"], "kty": public["kty"], "x": public["x"]},
        separators=(",", ":"),
        sort_keys=True,
    )
    digest = hashlib.sha256(members.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def load_key_ring(settings: Settings) -> KeyRing:
    """CORE_SIGNING_KEYS (a JWK Set, or the path of a file holding one), else CORE_SIGNING_KEY,
    else in development the key file in the data folder (made once).

    Raises SigningKeyError when the keys are unusable or none is configured outside development.
    """
    if settings.signing_keys is not None:
        value = settings.signing_keys.get_secret_value().strip()
        if not value.startswith("{"):
            try:
                value = Path(value).read_text(encoding="utf-8")
            except OSError as error:
                raise SigningKeyError(
                    "CORE_SIGNING_KEYS names a file that cannot be read"
                ) from error
        return KeyRing.from_jwk_set(value)
    if settings.signing_key is not None:
        return KeyRing.of(SigningKey.from_jwk(settings.signing_key.get_secret_value()))
    if not settings.is_development:
        raise SigningKeyError("CORE_SIGNING_KEYS is required outside development")
    return KeyRing.of(_development_key(settings.signing_key_file))


def _development_key(path: Path) -> SigningKey:
    text = read_or_create(path, lambda: json.dumps(SigningKey.generate().private_jwk()))
    return SigningKey.from_jwk(text)


@dataclass(frozen=True)
class Claims:
    """The verified claims core relies on."""

    subject: str
    token_id: str
    expires_at: dt.datetime
    session_id: uuid.UUID | None = None


@dataclass(frozen=True)
class TokenIssuer:
    """Signs and verifies core's access tokens."""

    keys: KeyRing
    issuer: str

    @property
    def key(self) -> SigningKey:
        """The key new tokens are signed with."""
        return self.keys.signer

    def issue(
        self, subject: str, audience: str, ttl_seconds: int, session_id: uuid.UUID | None = None
    ) -> str:
        """A signed JWT; `session_id` (claim `sid`) names the refresh family it came from."""
        now = utcnow()
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": audience,
            "sub": subject,
            "iat": now,
            "exp": now + dt.timedelta(seconds=ttl_seconds),
            "jti": uuid.uuid4().hex,
        }
        if session_id is not None:
            claims["sid"] = str(session_id)
        return jwt.encode(
            claims, self.key.private_key, algorithm=ALGORITHM, headers={"kid": self.key.kid}
        )

    def verify(self, token: str, audience: str) -> Claims:
        """The claims of a token this issuer signed for `audience`; UnauthorizedError otherwise."""
        try:
            header = jwt.get_unverified_header(token)
            public_key = self.keys.verifiers.get(str(header.get("kid")))
            if header.get("alg") != ALGORITHM or public_key is None:
                raise UnauthorizedError("The token is not signed by this issuer.")
            if any(name in header for name in _FORBIDDEN_HEADERS):
                raise UnauthorizedError("The token carries headers that are not accepted.")
            claims = jwt.decode(
                token,
                public_key,
                algorithms=[ALGORITHM],
                audience=audience,
                issuer=self.issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "iss", "aud", "sub", "jti"]},
            )
        except jwt.PyJWTError as error:
            raise UnauthorizedError("The token is invalid or expired.") from error
        try:
            session_id = uuid.UUID(str(claims["sid"])) if "sid" in claims else None
        except ValueError as error:
            raise UnauthorizedError("The token is invalid or expired.") from error
        return Claims(
            subject=str(claims["sub"]),
            token_id=str(claims["jti"]),
            expires_at=dt.datetime.fromtimestamp(int(claims["exp"]), dt.UTC),
            session_id=session_id,
        )

    def jwks(self) -> dict[str, Any]:
        return {"keys": self.keys.public_jwks()}
