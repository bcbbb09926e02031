"""The signing key, access JWTs (EdDSA) and their verification."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm

from core_api.config import Settings
from core_api.errors import UnauthorizedError
from core_api.kit.clock import utcnow

ALGORITHM = "EdDSA"
PUBLIC_AUDIENCE = "tradeloop-api"
INTERNAL_AUDIENCE = "tradeloop-internal"
LEEWAY_SECONDS = 30
_FORBIDDEN_HEADERS = ("crit", "jku", "x5u", "jwk", "x5c")


class SigningKeyError(ValueError):
    """CORE_SIGNING_KEY (or the development key file) is not a private Ed25519 JWK."""


@dataclass(frozen=True)
class SigningKey:
    """A private Ed25519 key and its key id."""

    kid: str
    private_key: Ed25519PrivateKey

    def public_jwk(self) -> dict[str, Any]:
        jwk: dict[str, Any] = OKPAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        return {**jwk, "kid": self.kid, "alg": ALGORITHM, "use": "sig"}

    def private_jwk(self) -> dict[str, Any]:
        jwk: dict[str, Any] = OKPAlgorithm.to_jwk(self.private_key, as_dict=True)
        return {**jwk, "kid": self.kid, "alg": ALGORITHM, "use": "sig"}

    @classmethod
    def generate(cls) -> SigningKey:
        private_key = Ed25519PrivateKey.generate()
        return cls(kid=_thumbprint(private_key), private_key=private_key)

    @classmethod
    def from_jwk(cls, text: str) -> SigningKey:
        """The key in a private JWK's JSON; raises SigningKeyError for anything else."""
        try:
            data = json.loads(text)
            key = OKPAlgorithm.from_jwk(data)
        except (ValueError, TypeError, jwt.PyJWTError) as error:
            raise SigningKeyError("not a private Ed25519 JWK") from error
        if not isinstance(key, Ed25519PrivateKey):
            raise SigningKeyError("not a private Ed25519 JWK")
        return cls(kid=str(data.get("kid") or _thumbprint(key)), private_key=key)


def _thumbprint(private_key: Ed25519PrivateKey) -> str:
    # RFC 7638: the SHA-256 of the required public members in lexical order.
    public: dict[str, Any] = OKPAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
    members = json.dumps(
        {"crv": public["crv"], "kty": public["kty"], "x": public["x"]},
        separators=(",", ":"),
        sort_keys=True,
    )
    digest = hashlib.sha256(members.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def load_signing_key(settings: Settings) -> SigningKey:
    """CORE_SIGNING_KEY, or in development the key file in the data folder (made once)."""
    if settings.signing_key is not None:
        return SigningKey.from_jwk(settings.signing_key.get_secret_value())
    if not settings.is_development:
        raise SigningKeyError("CORE_SIGNING_KEY is required outside development")
    return _development_key(settings.signing_key_file)


def _development_key(path: Path) -> SigningKey:
    if path.exists():
        return SigningKey.from_jwk(path.read_text(encoding="utf-8"))
    key = SigningKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(key.private_jwk(), handle)
    try:
        # A hard link appears complete or not at all; a process that loses the race reads
        # the winner's key, so every process of one data folder signs with the same key.
        os.link(draft, path)
    except FileExistsError:
        return SigningKey.from_jwk(path.read_text(encoding="utf-8"))
    finally:
        draft.unlink()
    return key


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

    key: SigningKey
    issuer: str

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
            if header.get("alg") != ALGORITHM or header.get("kid") != self.key.kid:
                raise UnauthorizedError("The token is not signed by this issuer.")
            if any(name in header for name in _FORBIDDEN_HEADERS):
                raise UnauthorizedError("The token carries headers that are not accepted.")
            claims = jwt.decode(
                token,
                self.key.private_key.public_key(),
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
        return {"keys": [self.key.public_jwk()]}
