"""Settings of web-ui, read from `WEB_`-prefixed environment variables."""

from __future__ import annotations

from typing import Literal

from pydantic import AnyHttpUrl, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]
TracesExporter = Literal["none", "console", "otlp"]


class WebSettings(BaseSettings):
    """Where web-ui listens, where it finds edge-bff's API, and where its telemetry goes.

    web-ui holds no secrets: the browser's session cookie and CSRF token arrive with
    each request and are passed on to edge, never stored.
    """

    model_config = SettingsConfigDict(env_prefix="WEB_", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=8020, ge=1, le=65535)
    environment: str = "development"
    edge_url: AnyHttpUrl = AnyHttpUrl("http://127.0.0.1:8000")
    edge_timeout_seconds: float = Field(default=10.0, gt=0)
    upload_timeout_seconds: float = Field(default=120.0, gt=0)
    log_level: LogLevel = "INFO"
    traces_exporter: TracesExporter = "none"
    traces_endpoint: AnyHttpUrl | None = None

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_case_level(cls, value: object) -> object:
        # Every service reads the same variable; `info` and `INFO` both mean INFO.
        return value.upper() if isinstance(value, str) else value

    @property
    def edge_base_url(self) -> str:
        """edge's URL without a trailing slash, ready for `/api/v1/...` paths."""
        return str(self.edge_url).rstrip("/")

    @property
    def traces_url(self) -> str | None:
        """The OTLP/HTTP traces URL under `traces_endpoint`, or None to let the standard
        OTEL_EXPORTER_OTLP_* variables decide."""
        if self.traces_endpoint is None:
            return None
        return f"{str(self.traces_endpoint).rstrip('/')}/v1/traces"
