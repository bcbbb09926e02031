from __future__ import annotations

import datetime as dt
import json
import secrets
import uuid
from collections.abc import Iterator

import anyio
import pytest
from redis import Redis
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect
from tradeloop_contracts import Event, UserDeleted, UserEventData, make_event
from tradeloop_contracts.bus import open_bus

from edge_bff.app import create_app
from edge_bff.config import Settings

from .conftest import ORIGIN, TEST_REDIS_URL, Browser, FakeClock
from .stubs import PASSWORD, CoreStub


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
            closed = _close_of(socket)

        # B heard the logout itself ("logged out"); its own re-check would say "session ended".
        assert closed == (1008, "logged out")

    def test_logout_everywhere_through_a_ends_every_session_and_socket_of_the_user(
        self, instances: tuple[TestClient, TestClient], core: CoreStub, user: tuple[str, str]
    ) -> None:
        client_a, client_b = instances
        laptop, phone = Browser(client_a), Browser(client_b)
        laptop.log_in(user[0])
        phone.log_in(user[0])
        bearer = {"authorization": f"Bearer {core.issuer.sign(user[1])}"}
        assert len([u for u in core.refresh_tokens.values() if u == user[1]]) == 2

        with (
            client_a.websocket_connect("/ws", headers=_socket_headers(phone)) as on_a,
            client_b.websocket_connect("/ws", headers=_socket_headers(laptop)) as on_b,
            client_b.websocket_connect("/ws", headers=bearer) as app_on_b,
        ):
            ended = laptop.request("POST", "/api/v1/auth/logout-everywhere")
            closes = [_close_of(on_a), _close_of(on_b), _close_of(app_on_b)]

        assert ended.status_code == 204
        assert closes == [(1008, "logged out")] * 3
        assert phone.request("GET", "/api/v1/positions").status_code == 401
        assert laptop.request("GET", "/api/v1/positions").status_code == 401
        # Both sessions' refresh-token families ended at core.
        assert user[1] not in core.refresh_tokens.values()

    def test_a_password_change_through_a_ends_the_other_sessions_and_their_sockets_on_b(
        self, instances: tuple[TestClient, TestClient], user: tuple[str, str]
    ) -> None:
        client_a, client_b = instances
        laptop, stolen = Browser(client_a), Browser(client_b)
        laptop.log_in(user[0])
        stolen.log_in(user[0])

        with client_b.websocket_connect("/ws", headers=_socket_headers(stolen)) as stolen_socket:
            old_id, old_csrf = laptop.session_id, laptop.csrf_token
            changed = laptop.request(
                "POST",
                "/api/v1/auth/password",
                json={"current_password": PASSWORD, "new_password": "a brand new passphrase"},
            )
            closed = _close_of(stolen_socket)

        assert changed.status_code == 204
        assert closed == (1008, "password changed")
        assert stolen.request("GET", "/api/v1/positions").status_code == 401
        # The changer carries on under a new session id and CSRF token; the old id is dead.
        assert laptop.session_id not in (None, old_id)
        assert laptop.csrf_token not in (None, old_csrf)
        assert laptop.request("GET", "/api/v1/positions").status_code == 200
        assert laptop.request("POST", "/api/v1/tags", json={"name": "fomo"}).status_code != 403
        replayed = Browser(client_b)
        replayed.session_id, replayed.csrf_token = old_id, old_csrf
        assert replayed.request("GET", "/api/v1/positions").status_code == 401

    def test_a_refused_password_change_ends_nothing(
        self, instances: tuple[TestClient, TestClient], user: tuple[str, str]
    ) -> None:
        client_a, client_b = instances
        laptop, phone = Browser(client_a), Browser(client_b)
        laptop.log_in(user[0])
        phone.log_in(user[0])

        refused = laptop.request(
            "POST",
            "/api/v1/auth/password",
            json={"current_password": "a guess", "new_password": "a brand new passphrase"},
        )

        assert refused.status_code == 422
        assert phone.request("GET", "/api/v1/positions").status_code == 200

    def test_a_deleted_user_loses_every_socket_and_session_on_both_instances(
        self,
        instances: tuple[TestClient, TestClient],
        shared_redis_settings: Settings,
        user: tuple[str, str],
    ) -> None:
        client_a, client_b = instances
        browser = Browser(client_a)
        browser.log_in(user[0])

        with (
            client_a.websocket_connect("/ws", headers=_socket_headers(browser)) as on_a,
            client_b.websocket_connect("/ws", headers=_socket_headers(browser)) as on_b,
        ):
            # A first heartbeat on each shows both bus tails are reading.
            assert json.loads(on_a.receive_text()) == {"type": "heartbeat"}
            assert json.loads(on_b.receive_text()) == {"type": "heartbeat"}
            _publish(shared_redis_settings.bus_url, _user_deleted(user[1]))
            closes = [_close_of(on_a), _close_of(on_b)]

        assert closes == [(1008, "account deleted")] * 2
        assert browser.request("GET", "/api/v1/positions").status_code == 401


def _close_of(socket: object) -> tuple[int, str]:
    """Read until the edge closes the socket; its code and reason.

    Fails rather than hangs when heartbeats keep coming (0.2 s apart) for ten seconds.
    """
    for _ in range(50):
        try:
            socket.receive_text()  # type: ignore[attr-defined]
        except WebSocketDisconnect as closed:
            return closed.code, closed.reason
    pytest.fail("the socket stayed open")


def _user_deleted(user_id: str) -> Event[UserEventData]:
    return make_event(
        "user.deleted.v1",
        UserDeleted(user_id=uuid.UUID(user_id), deleted_at=dt.datetime.now(dt.UTC)),
        source="/core-api",
    )


def _publish(bus_url: str, event: Event[UserEventData]) -> None:
    async def publish() -> None:
        bus = open_bus(bus_url)
        try:
            await bus.publish(event)
        finally:
            await bus.close()

    anyio.run(publish)
