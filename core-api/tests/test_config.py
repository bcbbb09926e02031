from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from core_api.config import Settings, to_sqlalchemy_url
from core_api.identity.tokens import SigningKey


class TestSettings:
    def test_development_defaults_are_refused_elsewhere(self) -> None:
        with pytest.raises(ValidationError, match="CORE_SIGNING_KEYS"):
            Settings(environment="production")

    def test_development_service_secrets_are_refused_elsewhere(self) -> None:
        key = SecretStr('{"kty": "OKP"}')
        with pytest.raises(ValidationError, match="development secrets for edge"):
            Settings(
                environment="production",
                signing_key=key,
                service_clients={"edge": SecretStr("dev-edge-secret")},
            )

    def test_a_sealing_key_ring_is_required_elsewhere(self) -> None:
        with pytest.raises(ValidationError, match="CORE_SEALING_KEYS"):
            Settings(
                environment="production",
                signing_key=SecretStr('{"kty": "OKP"}'),
                service_clients={"edge": SecretStr("9f1c2d8e")},
            )

    def test_production_settings_with_real_secrets_are_accepted(self) -> None:
        key = SecretStr('{"kty": "OKP"}')
        settings = Settings(
            environment="production",
            signing_key=key,
            service_clients={"edge": SecretStr("9f1c2d8e")},
            sealing_keys=SecretStr("/run/secrets/sealing-keys.json"),
        )
        assert not settings.is_development
        assert "9f1c2d8e" not in repr(settings)

    def test_settings_are_read_from_core_variables(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("CORE_PORT", "9010")
        monkeypatch.setenv("CORE_SERVICE_CLIENTS", '{"workers": "s3cret-value"}')
        settings = Settings()
        assert settings.port == 9010
        assert settings.service_clients["workers"].get_secret_value() == "s3cret-value"

    @pytest.mark.parametrize(
        ("url", "expected"),
        [
            ("postgresql://u@h:5432/db", "postgresql+psycopg://u@h:5432/db"),
            ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
            ("sqlite:///x.db", "sqlite:///x.db"),
        ],
    )
    def test_postgresql_urls_name_psycopg(self, url: str, expected: str) -> None:
        assert to_sqlalchemy_url(url) == expected


class TestSigningKey:
    def test_a_private_jwk_round_trips_with_its_kid(self) -> None:
        key = SigningKey.generate()
        loaded = SigningKey.from_jwk(__import__("json").dumps(key.private_jwk()))
        assert loaded.kid == key.kid
        assert "d" not in key.public_jwk()

    @pytest.mark.parametrize("text", ["not json", '{"kty": "RSA"}', '{"kty": "OKP"}'])
    def test_anything_else_is_refused(self, text: str) -> None:
        with pytest.raises(ValueError, match="Ed25519"):
            SigningKey.from_jwk(text)
