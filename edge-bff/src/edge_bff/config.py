"""Settings of the edge, read from `EDGE_*` environment variables."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_CSRF_PEPPER = "dev-edge-csrf-pepper-change-me"

# The issuer's one signing algorithm must be asymmetric: with an HMAC algorithm the issuer's
# public key would become a shared secret anyone could sign with (and `none` signs nothing).
JwtAlgorithm = Literal[
    "EdDSA", "ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512"
]


class Settings(BaseSettings):
    """Every setting of the edge; development defaults run everything on one machine."""

    model_config = SettingsConfigDict(env_prefix="EDGE_", frozen=True)

    environment: str = "development"
    host: str = "127.0.0.1"
    port: int = 8000
    public_origin: str = "http://localhost:8000"

    core_url: str = "http://127.0.0.1:8010"
    web_url: str = "http://127.0.0.1:8020"
    coach_url: str = "http://127.0.0.1:8030"

    session_store_url: str = "sqlite:///.data/edge.db"
    redis_key_prefix: str = "edge:"
    session_idle_seconds: int = Field(default=30 * 60, gt=0)
    session_absolute_seconds: int = Field(default=12 * 60 * 60, gt=0)
    csrf_pepper: SecretStr = SecretStr(DEV_CSRF_PEPPER)

    jwks_url: str = "http://127.0.0.1:8010/.well-known/jwks.json"
    issuer: str = "tradeloop-core"
    audience: str = "tradeloop-api"
    jwt_algorithm: JwtAlgorithm = "EdDSA"
    jwt_leeway_seconds: int = Field(default=30, ge=0, le=60)
    jwks_cache_seconds: int = Field(default=600, gt=0)
    jwks_refetch_cooldown_seconds: int = Field(default=30, ge=0)

    upstream_timeout_seconds: float = Field(default=30.0, gt=0)
    dashboard_timeout_seconds: float = Field(default=2.0, gt=0)
    max_upload_bytes: int = Field(default=20 * 1024 * 1024, gt=0)
    max_json_bytes: int = Field(default=256 * 1024, gt=0)

    idempotency_retention_seconds: int = Field(default=24 * 60 * 60, ge=24 * 60 * 60)
    idempotency_lease_seconds: int = Field(default=60, gt=0)

    # Peers whose X-Forwarded-For names the client: web-ui calling back, a load balancer.
    forwarded_allow_ips: str = "127.0.0.1"
    rate_limit_ip_per_minute: int = Field(default=1200, gt=0)
    rate_limit_user_per_minute: int = Field(default=600, gt=0)
    rate_limit_auth_per_minute: int = Field(default=10, gt=0)

    bus_url: str = "sqlite:///.data/bus.db"
    ws_queue_size: int = Field(default=100, gt=0)
    ws_ping_seconds: float = Field(default=20.0, gt=0)
    ws_session_check_seconds: float = Field(default=60.0, gt=0, le=300)
    ws_max_sockets_per_user: int = Field(default=10, gt=0)
    ws_messages_per_minute: int = Field(default=100, gt=0)

    log_level: Literal["debug", "info", "warning", "error"] = "info"
    traces_exporter: Literal["none", "console", "otlp"] = "none"
    # OTLP/HTTP base URL (http://collector:4318); unset: the OTEL_EXPORTER_OTLP_* variables.
    traces_endpoint: str | None = None
    # Bearer token a scraper sends for GET /metrics; unset: loopback scrapers only.
    metrics_token: SecretStr | None = None

    @field_validator("log_level", mode="before")
    @classmethod
    def _lower_case_level(cls, value: object) -> object:
        # Every service takes INFO or info alike.
        return value.lower() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _refuse_dev_secrets_outside_development(self) -> Settings:
        if self.environment != "development":
            if self.csrf_pepper.get_secret_value() == DEV_CSRF_PEPPER:
                raise ValueError("EDGE_CSRF_PEPPER must be set outside development")
            if len(self.csrf_pepper.get_secret_value()) < 32:
                raise ValueError("EDGE_CSRF_PEPPER must be at least 32 characters")
        return self
