"""Settings of core-api, read from `CORE_*` environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Self

from pydantic import AnyHttpUrl, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT = "development"
DEV_SERVICE_CLIENTS = {
    client_id: f"dev-{client_id}-secret" for client_id in ("edge", "workers", "ai-coach")
}
MIB = 1024 * 1024

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]
TracesExporter = Literal["none", "console", "otlp"]


class Settings(BaseSettings):
    """Everything core-api can be told; development defaults are refused elsewhere."""

    model_config = SettingsConfigDict(env_prefix="CORE_", extra="ignore")

    environment: str = DEVELOPMENT
    host: str = "127.0.0.1"
    port: int = Field(default=8010, ge=1, le=65535)
    data_dir: Path = Path(".data")
    database_url: str | None = Field(
        default=None, description="sqlite:///path or postgresql://...; default <data>/core.db."
    )
    object_store_url: str | None = Field(
        default=None, description="file:///folder or s3://bucket/prefix; default <data>/objects."
    )
    issuer: str = "tradeloop-core"
    signing_key: SecretStr | None = Field(default=None, description="A private Ed25519 JWK.")
    signing_keys: SecretStr | None = Field(
        default=None,
        description="A JWK Set (or a file path): the first private key signs, all verify.",
    )
    access_token_ttl_seconds: int = Field(default=15 * 60, ge=30, le=3600)
    refresh_token_ttl_seconds: int = Field(default=30 * 24 * 3600, ge=60)
    service_token_ttl_seconds: int = Field(default=15 * 60, ge=30, le=3600)
    service_clients: dict[str, SecretStr] = Field(
        default_factory=lambda: {
            key: SecretStr(value) for key, value in DEV_SERVICE_CLIENTS.items()
        }
    )
    max_upload_bytes: int = Field(default=200 * MIB, ge=1)
    login_account_failures: int = Field(default=5, ge=1)
    login_address_failures: int = Field(default=20, ge=1)
    login_lockout_seconds: int = Field(default=30, ge=1)
    login_max_lockout_seconds: int = Field(default=3600, ge=1)
    sealing_keys: SecretStr | None = Field(
        default=None,
        description="The key ring that seals broker secrets: a JSON object or the path of a "
        "JSON file; development default <data>/core-sealing-keys.json.",
    )
    broker_sync_interval_seconds: int = Field(
        default=30 * 60, ge=60, description="How long after its last sync a connection is due."
    )
    trusted_proxies: list[str] = Field(
        default_factory=lambda: ["127.0.0.1"],
        description="Peer addresses whose X-Forwarded-For names the client (edge's address).",
    )
    settle_processes: int = Field(
        default=1,
        ge=0,
        description="Processes that settle finished imports; 0 settles them in the serving "
        "process's threads.",
    )
    batch_processes: int = Field(
        default=1,
        ge=0,
        description="Processes that validate and store the batches of executions workers "
        "send; 0 stores them in the serving process's threads.",
    )
    work_nice: int = Field(
        default=10,
        ge=0,
        le=19,
        description="How much lower the work processes' CPU priority is than the serving "
        "process's (added to their niceness).",
    )
    log_level: LogLevel = "INFO"
    traces_exporter: TracesExporter = "none"
    traces_endpoint: AnyHttpUrl | None = Field(
        default=None,
        description="OTLP/HTTP base URL; empty leaves it to the OTEL_EXPORTER_OTLP_* variables.",
    )

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_case_level(cls, value: object) -> object:
        # Every service reads the same variable; `info` and `INFO` both mean INFO.
        return value.upper() if isinstance(value, str) else value

    @field_validator("traces_endpoint", mode="before")
    @classmethod
    def _empty_endpoint_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @model_validator(mode="after")
    def _no_development_defaults_elsewhere(self) -> Self:
        if self.environment == DEVELOPMENT:
            return self
        if self.signing_key is None and self.signing_keys is None:
            raise ValueError(
                "CORE_SIGNING_KEYS (or CORE_SIGNING_KEY) is required outside development"
            )
        dev_secrets = [
            client_id
            for client_id, secret in self.service_clients.items()
            if secret.get_secret_value() == DEV_SERVICE_CLIENTS.get(client_id)
        ]
        if dev_secrets:
            raise ValueError(
                "CORE_SERVICE_CLIENTS holds development secrets for " + ", ".join(dev_secrets)
            )
        if self.sealing_keys is None:
            raise ValueError("CORE_SEALING_KEYS is required outside development")
        return self

    @property
    def is_development(self) -> bool:
        return self.environment == DEVELOPMENT

    @property
    def resolved_database_url(self) -> str:
        """The SQLAlchemy URL: psycopg 3 for PostgreSQL, else the data folder's SQLite file."""
        url = self.database_url or f"sqlite:///{self.data_dir.resolve() / 'core.db'}"
        return to_sqlalchemy_url(url)

    @property
    def resolved_object_store_url(self) -> str:
        return self.object_store_url or (self.data_dir.resolve() / "objects").as_uri()

    @property
    def traces_url(self) -> str | None:
        """The OTLP/HTTP traces URL under `traces_endpoint`, or None to let the standard
        OTEL_EXPORTER_OTLP_* variables decide."""
        if self.traces_endpoint is None:
            return None
        return f"{str(self.traces_endpoint).rstrip('/')}/v1/traces"

    @property
    def signing_key_file(self) -> Path:
        return self.data_dir / "core-signing-key.json"

    @property
    def sealing_key_file(self) -> Path:
        return self.data_dir / "core-sealing-keys.json"


def to_sqlalchemy_url(url: str) -> str:
    """`postgresql://` and `postgres://` URLs name the psycopg 3 driver; others pass unchanged."""
    for scheme in ("postgresql://", "postgres://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url[len(scheme) :]
    return url
