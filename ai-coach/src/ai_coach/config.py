"""Settings of ai-coach, read from `COACH_*` environment variables."""

from __future__ import annotations

from typing import Self

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Known to everyone, so it is refused outside development.
DEVELOPMENT_CLIENT_SECRET = "dev-ai-coach-secret"


class Settings(BaseSettings):
    """Where ai-coach listens, how it reaches core and how it checks user tokens."""

    model_config = SettingsConfigDict(env_prefix="COACH_", extra="ignore", frozen=True)

    host: str = "127.0.0.1"
    port: int = 8030
    environment: str = "development"
    core_url: str = "http://127.0.0.1:8010"
    core_client_id: str = "ai-coach"
    core_client_secret: SecretStr = SecretStr(DEVELOPMENT_CLIENT_SECRET)
    core_timeout_seconds: float = 10.0
    jwks_url: str = "http://127.0.0.1:8010/.well-known/jwks.json"
    jwks_cache_seconds: float = 600.0
    jwks_refetch_cooldown_seconds: float = 30.0
    issuer: str = "tradeloop-core"
    audience: str = "tradeloop-api"
    time_zone: str = "UTC"

    @model_validator(mode="after")
    def _refuse_development_secret_elsewhere(self) -> Self:
        if (
            self.environment != "development"
            and self.core_client_secret.get_secret_value() == DEVELOPMENT_CLIENT_SECRET
        ):
            raise ValueError(
                "COACH_CORE_CLIENT_SECRET must be set outside the development environment"
            )
        return self
