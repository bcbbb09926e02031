from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
from redis import Redis
from starlette.testclient import TestClient
from tradeloop_contracts import Event, PositionClosed, UserEventData, make_event
from tradeloop_contracts.bus import open_bus

from edge_bff.app import create_app
from edge_bff.config import Settings

from .conftest import ORIGIN, TEST_REDIS_URL, Browser, FakeClock


@pytest.fixture(params=["embedded", "redis"])
def bus_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "embedded":
        yield f"sqlite:///{tmp_path}/bus.db"
        return
    prefix = f"edge-test-{secrets.token_hex(6)}"
    yield f"{TEST_REDIS_URL}?prefix={prefix}"
    redis = Redis.from_url(TEST_REDIS_URL)
    keys = list(redis.scan_iter(match=f"{prefix}*"))
    if keys:
        redis.delete(*keys)
    redis.close()


@pytest.fixture
def real_bus_client(settings: Settings, clock: FakeClock, bus_url: str) -> Iterator[TestClient]:
    app = create_app(settings.model_copy(update={"bus_url": bus_url}), clock=clock)
    with TestClient(app, base_url="https://testserver") as client:
        yield client


def position_closed(user_id: str) -> Event[UserEventData]:
    """A position.closed.v1 event of `user_id`, as core publishes it."""
    return make_event(
        "position.closed.v1",
        PositionClosed(
            user_id=uuid.UUID(user_id),
            position_id=uuid.uuid4(),
            account_id=uuid.uuid4(),
            symbol="ES",
            realised_pnl_net="12.50",
            currency="USD",
            outcome="win",
        ),
        source="/core-api",
    )


def _publish(bus_url: str, user_id: str) -> str:
    event = position_closed(user_id)

    async def publish() -> None:
        bus = open_bus(bus_url)
        try:
            await bus.publish(event)
        finally:
            await bus.close()

    anyio.run(publish)
    return event.id


class TestRealBus:
    def test_an_event_published_on_the_bus_reaches_the_users_socket(
        self, real_bus_client: TestClient, bus_url: str, user: tuple[str, str]
    ) -> None:
        browser = Browser(real_bus_client)
        browser.log_in(user[0])
        headers = {"origin": ORIGIN, "cookie": f"__Host-tradeloop_session={browser.session_id}"}

        with real_bus_client.websocket_connect("/ws", headers=headers) as socket:
            # Give the process's tail a moment to start reading before publishing.
            assert json.loads(socket.receive_text()) == {"type": "heartbeat"}
            event_id = _publish(bus_url, user[1])
            while True:
                message = json.loads(socket.receive_text())
                if message["type"] == "event":
                    break

        assert message["event"]["id"] == event_id
        assert message["position"]
