from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import jwt
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from core_api.app import create_app
from core_api.config import Settings
from core_api.identity.tokens import KeyRing, SigningKey, SigningKeyError, load_key_ring
from tests.conftest import Trader, make_trader

OLD = SigningKey.generate()
NEW = SigningKey.generate()


def jwk_set(*keys: dict[str, object]) -> str:
    return json.dumps({"keys": list(keys)})


@contextmanager
def app_with_keys(
    settings: Settings, sessions: sessionmaker[Session], keys: str
) -> Iterator[TestClient]:
    app = create_app(
        settings.model_copy(update={"signing_keys": SecretStr(keys)}), sessions=sessions
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client
    app.state.core.engine.dispose()


class TestRotation:
    @pytest.fixture
    def old_trader(self, settings: Settings, sessions: sessionmaker[Session]) -> Trader:
        with app_with_keys(settings, sessions, jwk_set(OLD.private_jwk())) as client:
            return make_trader(client)

    def test_tokens_of_the_retiring_key_verify_while_it_is_in_the_ring(
        self, settings: Settings, sessions: sessionmaker[Session], old_trader: Trader
    ) -> None:
        ring = jwk_set(NEW.private_jwk(), OLD.public_jwk())
        with app_with_keys(settings, sessions, ring) as client:
            assert client.get("/v1/me", headers=old_trader.headers).status_code == 200
            jwks = client.get("/.well-known/jwks.json").json()
            assert [key["kid"] for key in jwks["keys"]] == [NEW.kid, OLD.kid]
            assert all("d" not in key for key in jwks["keys"])
            fresh = client.post(
                "/v1/auth/refresh", json={"refresh_token": old_trader.refresh_token}
            )
            assert jwt.get_unverified_header(fresh.json()["access_token"])["kid"] == NEW.kid

    def test_tokens_of_a_removed_key_are_refused(
        self, settings: Settings, sessions: sessionmaker[Session], old_trader: Trader
    ) -> None:
        with app_with_keys(settings, sessions, jwk_set(NEW.private_jwk())) as client:
            assert client.get("/v1/me", headers=old_trader.headers).status_code == 401
            assert [key["kid"] for key in client.get("/.well-known/jwks.json").json()["keys"]] == [
                NEW.kid
            ]

    def test_the_set_may_come_from_a_file(self, tmp_path: Path) -> None:
        path = tmp_path / "keys.json"
        path.write_text(jwk_set(NEW.private_jwk(), OLD.private_jwk()), encoding="utf-8")
        ring = load_key_ring(Settings(signing_keys=SecretStr(str(path)), data_dir=tmp_path))
        assert ring.signer.kid == NEW.kid
        assert set(ring.verifiers) == {NEW.kid, OLD.kid}


class TestKeyConfiguration:
    def test_the_development_key_file_is_made_once_and_kept(self, tmp_path: Path) -> None:
        first = load_key_ring(Settings(data_dir=tmp_path))
        again = load_key_ring(Settings(data_dir=tmp_path))
        assert first.signer.kid == again.signer.kid
        assert (tmp_path / "core-signing-key.json").stat().st_mode & 0o777 == 0o600

    def test_a_single_signing_key_is_a_ring_of_one(self, tmp_path: Path) -> None:
        settings = Settings(signing_key=SecretStr(json.dumps(OLD.private_jwk())), data_dir=tmp_path)
        assert list(load_key_ring(settings).verifiers) == [OLD.kid]

    @pytest.mark.parametrize(
        "text",
        [
            pytest.param("{}", id="no-keys"),
            pytest.param(jwk_set(), id="empty"),
            pytest.param(jwk_set(OLD.public_jwk(), NEW.private_jwk()), id="public-signer"),
            pytest.param(jwk_set(OLD.private_jwk(), OLD.public_jwk()), id="repeated-kid"),
            pytest.param(jwk_set({"kty": "RSA", "n": "x", "e": "AQAB"}), id="rsa"),
            pytest.param("[1, 2]", id="not-a-set"),
        ],
    )
    def test_unusable_sets_are_refused(self, text: str) -> None:
        with pytest.raises(SigningKeyError):
            KeyRing.from_jwk_set(text)

    def test_an_unreadable_key_file_is_refused_without_its_content(self, tmp_path: Path) -> None:
        settings = Settings(signing_keys=SecretStr(str(tmp_path / "missing.json")))
        with pytest.raises(SigningKeyError, match="cannot be read"):
            load_key_ring(settings)
