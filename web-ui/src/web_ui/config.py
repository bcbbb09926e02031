"""Settings of web-ui, read from `WEB_`-prefixed environment variables."""

from __future__ import annotations

from typing import Literal

from pydantic import AnyHttpUrl, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class WebSettings(BaseSettings):
    """Where web-ui listens and where it finds edge-bff's API.

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
    log_level: Literal["debug", "info", "warning", "error"] = "info"

    @property
    def edge_base_url(self) -> str:
        """edge's URL without a trailing slash, ready for `/api/v1/...` paths."""
        return str(self.edge_url).rstrip("/")
