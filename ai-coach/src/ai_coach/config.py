"""Settings of ai-coach, read from `COACH_*` environment variables."""

from __future__ import annotations

from decimal import Decimal
from typing import Self

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Known to everyone, so it is refused outside development.
DEVELOPMENT_CLIENT_SECRET = "dev-ai-coach-secret"


class Settings(BaseSettings):
    """Where ai-coach listens, how it reaches core and how it checks user tokens."""

    model_config = SettingsConfigDict(
        env_prefix="COACH_", extra="ignore", frozen=True, populate_by_name=True
    )

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
    # The optional language model (OpenAI-compatible Chat Completions). The three
    # connection settings are also read without the prefix, as LLM_BASE_URL, ...
    llm_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("LLM_BASE_URL", "COACH_LLM_BASE_URL")
    )
    llm_model: str = Field(
        default="gpt-4o-mini", validation_alias=AliasChoices("LLM_MODEL", "COACH_LLM_MODEL")
    )
    llm_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("LLM_API_KEY", "COACH_LLM_API_KEY")
    )
    llm_timeout_seconds: float = 20.0
    llm_attempts: int = Field(default=3, ge=1, le=10)
    llm_max_tokens_per_request: int = Field(default=6_000, ge=100)
    llm_max_completion_tokens: int = Field(default=600, ge=50)
    llm_daily_tokens_per_user: int = Field(default=100_000, ge=0)
    llm_daily_cost_per_user: Decimal = Field(default=Decimal("0.50"), ge=0)
    llm_prompt_price_per_1k_tokens: Decimal = Field(default=Decimal("0.00015"), ge=0)
    llm_completion_price_per_1k_tokens: Decimal = Field(default=Decimal("0.0006"), ge=0)

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
