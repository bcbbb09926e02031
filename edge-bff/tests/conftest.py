"""The real edge app against stub backends, with a fake clock and an in-test bus."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import threading
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from starlette.testclient import TestClient
from tradeloop_contracts import Event, UserEventData
from tradeloop_contracts.telemetry import configure_tracing

from edge_bff.app import create_app
from edge_bff.config import Settings
from edge_bff.sessions.middleware import COOKIE_NAME

from .stubs import PASSWORD, CoreStub, closed_url, coach_app, serve, web_app

ORIGIN = "https://tradeloop.test"
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session", autouse=True)
def tracing() -> None:
    """Spans recorded (not exported), as `edge-bff serve` does by default."""
    configure_tracing("edge-bff")


class FakeClock:
    """A clock that moves only when told."""

    def __init__(self) -> None:
        self.current = dt.datetime.now(dt.UTC)

    def now(self) -> dt.datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += dt.timedelta(**delta)


@dataclass(frozen=True)
class FakeDelivery:
    position: str
    event: Event[UserEventData]


@dataclass
class FakeBus:
    """A bus whose `tail` polls a list the test appends to (from any thread)."""

    events: list[Event[UserEventData]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    tails: list[Sequence[str]] = field(default_factory=list)

    def publish(self, event: Event[UserEventData]) -> str:
        with self.lock:
            self.events.append(event)
            return str(len(self.events))

    def publish_together(self, events: Sequence[Event[UserEventData]]) -> None:
        """Publish `events` at once: the tail reads them in one go."""
        with self.lock:
            self.events.extend(events)

    async def tail(
        self, families: Sequence[str], *, after: str | None = None
    ) -> AsyncIterator[FakeDelivery]:
        self.tails.append(families)
        with self.lock:
            index = int(after) if after is not None else len(self.events)
        while True:
            with self.lock:
                pending = self.events[index:]
            for event in pending:
                index += 1
                if event.type.split(".", 1)[0] in families:
                    yield FakeDelivery(str(index), event)
            await asyncio.sleep(0.01)

    async def close(self) -> None:
        return None


@pytest.fixture(scope="session")
def core_stub() -> Iterator[tuple[CoreStub, str]]:
    stub = CoreStub()
    with serve(stub.app()) as url:
        yield stub, url


@pytest.fixture
def core(core_stub: tuple[CoreStub, str]) -> CoreStub:
    stub = core_stub[0]
    stub.calls.clear()
    stub.access_ttl = 900
    stub.jwks_down = False
    stub.created.clear()
    stub.create_delay = 0.0
    stub.hold_creates = False
    stub.hold_statistics = None
    stub.create_started.clear()
    stub.release_creates.clear()
    stub.bus_url = None
    stub.release_export.clear()
    stub.export_finished.clear()
    return stub


@pytest.fixture(scope="session")
def web_url() -> Iterator[str]:
    with serve(web_app()) as url:
        yield url


@pytest.fixture(scope="session")
def coach_url() -> Iterator[str]:
    with serve(coach_app()) as url:
        yield url


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def bus() -> FakeBus:
    return FakeBus()


@pytest.fixture
def settings(
    tmp_path: Path, core_stub: tuple[CoreStub, str], web_url: str, coach_url: str
) -> Settings:
    core_url = core_stub[1]
    return Settings(
        public_origin=ORIGIN,
        core_url=core_url,
        web_url=web_url,
        coach_url=coach_url,
        jwks_url=f"{core_url}/.well-known/jwks.json",
        session_store_url=f"sqlite:///{tmp_path}/edge.db",
        csrf_pepper=SecretStr("test-pepper-" + "x" * 32),
        dashboard_timeout_seconds=1.0,
        ws_ping_seconds=0.2,
        ws_queue_size=5,
        max_upload_bytes=1024,
        max_json_bytes=1024,
        rate_limit_ip_per_minute=10_000,
        rate_limit_user_per_minute=10_000,
        rate_limit_auth_per_minute=1_000,
    )


def make_client(settings: Settings, clock: FakeClock, bus: FakeBus) -> TestClient:
    app = create_app(settings, clock=clock, bus_factory=lambda _url: bus)
    return TestClient(app, base_url="https://testserver", raise_server_exceptions=False)


@pytest.fixture
def client(settings: Settings, clock: FakeClock, bus: FakeBus) -> Iterator[TestClient]:
    with make_client(settings, clock, bus) as test_client:
        yield test_client


@pytest.fixture
def coach_down_client(settings: Settings, clock: FakeClock, bus: FakeBus) -> Iterator[TestClient]:
    with make_client(settings.model_copy(update={"coach_url": closed_url()}), clock, bus) as c:
        yield c


class Browser:
    """A browser's view of the edge: its own cookie, same-origin headers, the CSRF token."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.session_id: str | None = None
        self.csrf_token: str | None = None

    def _headers(self, method: str, extra: dict[str, str] | None) -> dict[str, str]:
        headers = {"sec-fetch-site": "same-origin", "origin": ORIGIN}
        if self.session_id is not None:
            headers["cookie"] = f"{COOKIE_NAME}={self.session_id}"
        if self.csrf_token is not None:
            headers["x-csrf-token"] = self.csrf_token
        if method in ("POST", "PATCH"):
            # Like web-ui, a fresh key per call; a test passes "" to send none.
            headers["idempotency-key"] = str(uuid.uuid4())
        headers.update(extra or {})
        return {name: value for name, value in headers.items() if value}

    def request(
        self, method: str, path: str, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> httpx.Response:
        self.client.cookies.clear()
        response: httpx.Response = self.client.request(
            method, path, headers=self._headers(method, headers), **kwargs
        )
        self.client.cookies.clear()
        cookie = session_cookie_of(response)
        if cookie is not None:
            self.session_id = cookie or None
        token = response.headers.get("x-csrf-token")
        if token:
            self.csrf_token = token
        return response

    def open_page(self, path: str = "/") -> httpx.Response:
        """Load a page; web-ui's echo tells which CSRF token the edge handed it."""
        response = self.request("GET", path)
        self.csrf_token = response.json()["headers"].get("x-csrf-token")
        return response

    def log_in(self, email: str) -> httpx.Response:
        self.open_page()
        return self.request(
            "POST", "/api/v1/auth/login", json={"email": email, "password": PASSWORD}
        )


def session_cookie_of(response: httpx.Response) -> str | None:
    """The session id a response sets ('' when it clears it), or None when it leaves it."""
    for header in response.headers.get_list("set-cookie"):
        name, _, rest = header.partition("=")
        if name == COOKIE_NAME:
            return rest.split(";", 1)[0]
    return None


@pytest.fixture
def browser(client: TestClient) -> Browser:
    return Browser(client)


@pytest.fixture
def user(core: CoreStub) -> tuple[str, str]:
    """A registered trader: (email, user id)."""
    email = f"trader-{len(core.users)}@example.com"
    return email, core.add_user(email)
