from __future__ import annotations

import json
import secrets
from collections.abc import Iterator

import pytest
from redis import Redis
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from edge_bff.app import create_app
from edge_bff.config import Settings

from .conftest import ORIGIN, TEST_REDIS_URL, Browser, FakeClock
from .stubs import CoreStub


@pytest.fixture
def shared_redis_settings(settings: Settings, core: CoreStub) -> Iterator[Settings]:
    prefix = f"edge-test-{secrets.token_hex(6)}:"
    bus_url = f"{TEST_REDIS_URL}?prefix={prefix}bus"
    core.bus_url = bus_url
    yield settings.model_copy(
        update={
            "session_store_url": TEST_REDIS_URL,
            "redis_key_prefix": prefix,
            "bus_url": bus_url,
        }
    )
    redis = Redis.from_url(TEST_REDIS_URL)
    keys = list(redis.scan_iter(match=f"{prefix}*"))
    if keys:
        redis.delete(*keys)
    redis.close()


@pytest.fixture
def instances(
    shared_redis_settings: Settings, clock: FakeClock
) -> Iterator[tuple[TestClient, TestClient]]:
    a = create_app(shared_redis_settings, clock=clock)
    b = create_app(shared_redis_settings, clock=clock)
    with (
        TestClient(a, base_url="https://testserver") as client_a,
        TestClient(b, base_url="https://testserver") as client_b,
    ):
        yield client_a, client_b


def _socket_headers(browser: Browser) -> dict[str, str]:
    return {"origin": ORIGIN, "cookie": f"__Host-tradeloop_session={browser.session_id}"}


class TestTwoInstancesOnOneRedis:
    def test_a_socket_on_b_receives_the_event_of_an_upload_through_a(
        self, instances: tuple[TestClient, TestClient], user: tuple[str, str]
    ) -> None:
        client_a, client_b = instances
        browser = Browser(client_a)
        browser.log_in(user[0])

        with client_b.websocket_connect("/ws", headers=_socket_headers(browser)) as socket:
            # The first heartbeat shows B's bus tail is reading.
            assert json.loads(socket.receive_text()) == {"type": "heartbeat"}
            upload = browser.request(
                "POST", "/api/v1/imports", files={"file": ("f.csv", b"a,b\n", "text/csv")}
            )
            while True:
                message = json.loads(socket.receive_text())
                if message["type"] == "event":
                    break

        assert upload.status_code == 202
        assert message["event"]["id"] == upload.json()["event_id"]
        assert message["event"]["data"]["user_id"] == user[1]

    def test_a_logout_through_a_closes_the_socket_on_b(
        self, instances: tuple[TestClient, TestClient], user: tuple[str, str]
    ) -> None:
        client_a, client_b = instances
        browser = Browser(client_a)
        browser.log_in(user[0])

        with client_b.websocket_connect("/ws", headers=_socket_headers(browser)) as socket:
            assert browser.request("POST", "/api/v1/auth/logout").status_code == 204
            code = None
            while code is None:
                try:
                    socket.receive_text()
                except WebSocketDisconnect as closed:
                    code = closed.code

        assert code == 1008
