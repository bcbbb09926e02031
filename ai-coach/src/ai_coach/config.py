"""Settings of ai-coach, read from `COACH_*` environment variables."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal, Self

from pydantic import AliasChoices, AnyHttpUrl, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Known to everyone, so it is refused outside development.
DEVELOPMENT_CLIENT_SECRET = "dev-ai-coach-secret"
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]
TracesExporter = Literal["none", "console", "otlp"]


class Settings(BaseSettings):
    """Where ai-coach listens, how it reaches core, how it checks user tokens and where its
    telemetry goes."""

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
    # How long core's word on a personal API token is trusted, and how many are remembered.
    personal_token_cache_seconds: float = Field(default=30.0, ge=0)
    personal_token_cache_size: int = Field(default=10_000, ge=1)
    time_zone: str = "UTC"
    # The same three telemetry settings as every other service's.
    log_level: LogLevel = "INFO"
    traces_exporter: TracesExporter = "none"
    traces_endpoint: AnyHttpUrl | None = None
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

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_case_level(cls, value: object) -> object:
        # `info` and `INFO` both mean INFO.
        return value.upper() if isinstance(value, str) else value

    @field_validator("traces_endpoint", mode="before")
    @classmethod
    def _empty_endpoint_is_unset(cls, value: object) -> object:
        # An empty COACH_TRACES_ENDPOINT leaves the endpoint to OTEL_EXPORTER_OTLP_*.
        return None if value == "" else value

    @property
    def traces_url(self) -> str | None:
        """The OTLP/HTTP traces URL under `traces_endpoint`, or None to let the standard
        OTEL_EXPORTER_OTLP_* variables decide."""
        if self.traces_endpoint is None:
            return None
        return f"{str(self.traces_endpoint).rstrip('/')}/v1/traces"

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
