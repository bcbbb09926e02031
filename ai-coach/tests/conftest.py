"""Fixtures: the stand-in core and the real ai-coach app, each served on a free port."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import httpx
import pytest
from pydantic import SecretStr
from tradeloop_contracts.telemetry import configure_logging

from ai_coach.app import create_app
from ai_coach.config import Settings
from tests.stub_core import CLIENT_SECRET, StubCore, serve


@pytest.fixture
def core() -> StubCore:
    return StubCore()


@pytest.fixture
def core_url(core: StubCore) -> Iterator[str]:
    with serve(core.app) as url:
        yield url


@pytest.fixture
def settings(core_url: str) -> Settings:
    return Settings(
        core_url=core_url,
        core_client_secret=SecretStr(CLIENT_SECRET),
        jwks_url=f"{core_url}/.well-known/jwks.json",
    )


@pytest.fixture
def coach(settings: Settings) -> Iterator[httpx.Client]:
    with serve(create_app(settings)) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    """The process' JSON logs at DEBUG into a buffer; the logging before is restored."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    stream = io.StringIO()
    configure_logging("ai-coach", level="DEBUG", stream=stream)
    try:
        yield stream
    finally:
        for handler in root.handlers[:]:
            root.removeHandler(handler)
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(level)
