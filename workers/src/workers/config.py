"""Settings of the worker process, read from `WORKERS_*` environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .core import DEFAULT_SETTLE_TIMEOUT_SECONDS
from .imports.job import DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_OFX_BYTES
from .imports.parse_process import DEFAULT_NICE

DEVELOPMENT_CLIENT_SECRET = "dev-workers-secret"


def _default_object_store_url() -> str:
    return (Path(".data") / "objects").resolve().as_uri()


class WorkersSettings(BaseSettings):
    """Every setting of the worker process; the README lists them."""

    model_config = SettingsConfigDict(env_prefix="WORKERS_", frozen=True)

    environment: str = "development"
    host: str = "127.0.0.1"
    port: int = Field(default=8040, ge=0, le=65535)
    core_url: str = "http://127.0.0.1:8010"
    core_client_secret: SecretStr = SecretStr(DEVELOPMENT_CLIENT_SECRET)
    core_timeout_seconds: float = Field(default=10.0, gt=0)
    core_retry_seconds: float = Field(
        default=60.0, gt=0, description="How long one call keeps retrying while core is down."
    )
    core_settle_timeout_seconds: float = Field(
        default=DEFAULT_SETTLE_TIMEOUT_SECONDS,
        gt=0,
        description="Timeout of an import's outcome call, while core settles the import.",
    )
    bus_url: str = "sqlite:///.data/bus.db"
    object_store_url: str = Field(default_factory=_default_object_store_url)
    shutdown_seconds: float = Field(default=30.0, ge=0)
    relay_batch_size: int = Field(default=100, ge=1, le=1000)
    relay_lease_seconds: int = Field(default=30, ge=1, le=600)
    relay_idle_seconds: float = Field(default=0.2, gt=0)
    relay_max_backoff_seconds: float = Field(default=5.0, gt=0)
    consumer_name: str = Field(default="", description="Defaults to host name and process id.")
    import_batch_size: int = Field(default=1000, ge=1, le=5000)
    import_batches_in_flight: int = Field(
        default=2, ge=1, le=8, description="Batches of one import waiting for core at once."
    )
    import_progress_seconds: float = Field(
        default=1.0, ge=0, description="Least time between two progress reports of an import."
    )
    import_time_zone: str = "America/New_York"
    import_max_bytes: int = Field(
        default=DEFAULT_MAX_FILE_BYTES, ge=1, description="Largest raw file an import reads."
    )
    import_max_ofx_bytes: int = Field(
        default=DEFAULT_MAX_OFX_BYTES, ge=1, description="Largest OFX file (read whole)."
    )
    import_parse_nice: int = Field(
        default=DEFAULT_NICE,
        ge=0,
        le=19,
        description="How much lower the parse process's CPU priority is than the worker's.",
    )
    max_attempts: int = Field(default=5, ge=1)
    visibility_timeout_seconds: float = Field(default=300.0, gt=0)
    scheduled_jobs: str = Field(
        default="dead-letter-report", description="Comma-separated names of the jobs to run."
    )
    broker_timeout_seconds: float = Field(default=15.0, gt=0)
    broker_retry_seconds: float = Field(
        default=60.0, gt=0, description="How long one broker call retries 429s, 5xx and outages."
    )
    broker_sync_concurrency: int = Field(default=4, ge=1, le=64)
    sealing_keys: SecretStr = Field(
        default=SecretStr(""),
        description="Key ring that opens broker secrets: JSON, or the path of a JSON file.",
    )
    coach_url: str = "http://127.0.0.1:8030"
    coach_timeout_seconds: float = Field(
        default=120.0, gt=0, description="One review call; a narrating model may be slow."
    )
    coach_review_concurrency: int = Field(default=2, ge=1, le=32)
    alpaca_paper_url: str = "https://paper-api.alpaca.markets"
    alpaca_live_url: str = "https://api.alpaca.markets"
    alpaca_oauth_token_url: str = "https://api.alpaca.markets/oauth/token"
    alpaca_oauth_client_id: str = ""
    alpaca_oauth_client_secret: SecretStr = SecretStr("")
    market_data_source: Literal["files", "alpaca"] = "files"
    alpaca_data_url: str = "https://data.alpaca.markets"
    alpaca_data_key_id: SecretStr = SecretStr("")
    alpaca_data_secret: SecretStr = SecretStr("")
    alpaca_data_feed: Literal["iex", "sip"] = "iex"
    traces_exporter: Literal["none", "console", "otlp"] = "none"
    traces_endpoint: str = Field(
        default="",
        description="OTLP/HTTP base URL; empty: the standard OTEL_EXPORTER_OTLP_* variables.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"

    @property
    def scheduled_job_names(self) -> list[str]:
        """The names in `scheduled_jobs`, blanks dropped."""
        return [name.strip() for name in self.scheduled_jobs.split(",") if name.strip()]

    @field_validator("log_level", mode="before")
    @classmethod
    def _level_in_capitals(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _no_development_secret_outside_development(self) -> Self:
        if (
            self.environment != "development"
            and self.core_client_secret.get_secret_value() == DEVELOPMENT_CLIENT_SECRET
        ):
            raise ValueError(
                "WORKERS_CORE_CLIENT_SECRET keeps its development default outside development"
            )
        if self.market_data_source == "alpaca" and not (
            self.alpaca_data_key_id.get_secret_value()
            and self.alpaca_data_secret.get_secret_value()
        ):
            raise ValueError(
                "WORKERS_MARKET_DATA_SOURCE=alpaca needs WORKERS_ALPACA_DATA_KEY_ID and "
                "WORKERS_ALPACA_DATA_SECRET"
            )
        return self
