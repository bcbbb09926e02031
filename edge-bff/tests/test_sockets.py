from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient, WebSocketDenialResponse
from starlette.websockets import WebSocketDisconnect
from tradeloop_contracts import ImportFailed, make_event

from edge_bff.config import Settings

from .conftest import ORIGIN, Browser, FakeBus, FakeClock, make_client
from .stubs import CoreStub


def _import_failed(user_id: str) -> ImportFailed:
    return ImportFailed(user_id=uuid.UUID(user_id), import_id=uuid.uuid4(), reason="bad file")


def _connect(
    client: TestClient, browser: Browser, *, origin: str = ORIGIN, query: str = ""
) -> object:
    return client.websocket_connect(
        f"/ws{query}",
        headers={"origin": origin, "cookie": f"__Host-tradeloop_session={browser.session_id}"},
    )


def _next_event(websocket: object) -> dict[str, object]:
    while True:
        message = json.loads(websocket.receive_text())  # type: ignore[attr-defined]
        if message["type"] == "event":
            return message  # type: ignore[no-any-return]


class TestLiveSocket:
    def test_a_foreign_origin_is_refused_before_accept(
        self, client: TestClient, browser: Browser, user: tuple[str, str]
    ) -> None:
        browser.log_in(user[0])

        with pytest.raises(WebSocketDenialResponse) as refusal:
            with _connect(client, browser, origin="https://evil.test"):  # type: ignore[attr-defined]
                pass

        assert refusal.value.status_code == 403

    def test_an_anonymous_browser_is_refused(self, client: TestClient, browser: Browser) -> None:
        browser.open_page()

        with pytest.raises(WebSocketDenialResponse) as refusal:
            with _connect(client, browser):  # type: ignore[attr-defined]
                pass

        assert refusal.value.status_code == 401

    def test_an_event_reaches_its_user_only(
        self, client: TestClient, bus: FakeBus, user: tuple[str, str]
    ) -> None:
        browser = Browser(client)
        browser.log_in(user[0])
        someone_else = make_event(
            "import.failed.v1", _import_failed(str(uuid.uuid4())), source="/core-api"
        )
        mine = make_event("import.failed.v1", _import_failed(user[1]), source="/core-api")
        with _connect(client, browser) as socket:  # type: ignore[attr-defined]
            bus.publish(someone_else)
            bus.publish(mine)

            message = _next_event(socket)

        assert message["event"]["id"] == mine.id  # type: ignore[index]
        assert message["position"] == "2"

    def test_a_reconnect_with_after_misses_nothing(
        self, client: TestClient, bus: FakeBus, user: tuple[str, str]
    ) -> None:
        browser = Browser(client)
        browser.log_in(user[0])
        first = make_event("import.failed.v1", _import_failed(user[1]), source="/core-api")
        missed = make_event("import.failed.v1", _import_failed(user[1]), source="/core-api")
        with _connect(client, browser) as socket:  # type: ignore[attr-defined]
            bus.publish(first)
            position = _next_event(socket)["position"]
        bus.publish(missed)

        with _connect(client, browser, query=f"?after={position}") as socket:  # type: ignore[attr-defined]
            message = _next_event(socket)

        assert message["event"]["id"] == missed.id  # type: ignore[index]

    def test_a_resume_from_something_that_is_no_position_is_closed_with_a_reason(
        self, client: TestClient, browser: Browser, user: tuple[str, str]
    ) -> None:
        browser.log_in(user[0])

        with _connect(client, browser, query="?after=not-a-position") as websocket:  # type: ignore[attr-defined]
            # Nothing comes first: the catch-up is refused before any heartbeat.
            with pytest.raises(WebSocketDisconnect) as closed:
                websocket.receive_text()

        assert (closed.value.code, closed.value.reason) == (1008, "after is not an event position")

    def test_heartbeats_flow_while_nothing_happens(
        self, client: TestClient, user: tuple[str, str]
    ) -> None:
        browser = Browser(client)
        browser.log_in(user[0])

        with _connect(client, browser) as socket:  # type: ignore[attr-defined]
            assert json.loads(socket.receive_text()) == {"type": "heartbeat"}


@pytest.fixture
def limited_client(settings: Settings, clock: FakeClock, bus: FakeBus) -> Iterator[TestClient]:
    limited = settings.model_copy(
        update={"ws_max_sockets_per_user": 2, "ws_messages_per_minute": 5}
    )
    with make_client(limited, clock, bus) as client:
        yield client


def _closed_with(websocket: object) -> int:
    """Read until the edge closes the socket; the close code."""
    return _closed_with_reason(websocket)[0]


def _closed_with_reason(websocket: object) -> tuple[int, str]:
    """Read until the edge closes the socket; the close code and reason.

    Fails rather than hangs when heartbeats keep coming (0.2 s apart) for ten seconds.
    """
    for _ in range(50):
        try:
            websocket.receive_text()  # type: ignore[attr-defined]
        except WebSocketDisconnect as closed:
            return closed.code, closed.reason
    pytest.fail("the socket stayed open")


class TestSocketLimits:
    def test_a_socket_without_an_origin_is_refused(
        self, client: TestClient, browser: Browser, user: tuple[str, str]
    ) -> None:
        browser.log_in(user[0])

        with pytest.raises(WebSocketDenialResponse) as refusal:
            with client.websocket_connect(
                "/ws", headers={"cookie": f"__Host-tradeloop_session={browser.session_id}"}
            ):
                pass

        assert refusal.value.status_code == 403

    def test_a_user_may_hold_only_so_many_sockets(
        self, limited_client: TestClient, user: tuple[str, str]
    ) -> None:
        browser = Browser(limited_client)
        browser.log_in(user[0])

        with _connect(limited_client, browser), _connect(limited_client, browser):  # type: ignore[attr-defined]
            with pytest.raises(WebSocketDenialResponse) as refusal:
                with _connect(limited_client, browser):  # type: ignore[attr-defined]
                    pass

        assert refusal.value.status_code == 429

    def test_a_chatty_client_is_closed_with_1008(
        self, limited_client: TestClient, user: tuple[str, str]
    ) -> None:
        browser = Browser(limited_client)
        browser.log_in(user[0])

        with _connect(limited_client, browser) as socket:  # type: ignore[attr-defined]
            for _ in range(6):
                socket.send_text("hi")

            assert _closed_with(socket) == 1008

    def test_a_message_over_64_kib_is_closed_with_1009(
        self, client: TestClient, browser: Browser, user: tuple[str, str]
    ) -> None:
        browser.log_in(user[0])

        with _connect(client, browser) as socket:  # type: ignore[attr-defined]
            socket.send_text("x" * (64 * 1024 + 1))

            assert _closed_with(socket) == 1009

    def test_logout_closes_the_sessions_socket_with_1008_within_a_second(
        self, client: TestClient, browser: Browser, user: tuple[str, str]
    ) -> None:
        browser.log_in(user[0])

        with _connect(client, browser) as socket:  # type: ignore[attr-defined]
            assert browser.request("POST", "/api/v1/auth/logout").status_code == 204

            # "logged out" is the logout's own close; the periodic re-check says "session ended".
            assert _closed_with_reason(socket) == (1008, "logged out")

    def test_a_session_that_times_out_ends_its_socket(
        self, client: TestClient, browser: Browser, clock: FakeClock, user: tuple[str, str]
    ) -> None:
        browser.log_in(user[0])

        with _connect(client, browser) as socket:  # type: ignore[attr-defined]
            clock.advance(minutes=31)

            assert _closed_with(socket) == 1008


def _bearer(token: str, **headers: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}", **headers}


class TestBearerSockets:
    def test_an_access_token_opens_a_socket_without_any_origin_and_gets_the_users_events(
        self, client: TestClient, core: CoreStub, bus: FakeBus, user: tuple[str, str]
    ) -> None:
        token = core.issuer.sign(user[1])
        mine = make_event("import.failed.v1", _import_failed(user[1]), source="/core-api")

        with client.websocket_connect("/ws", headers=_bearer(token)) as socket:
            bus.publish(mine)
            message = _next_event(socket)

        assert message["event"]["id"] == mine.id  # type: ignore[index]

    def test_a_bearer_socket_from_a_foreign_origin_is_accepted_without_a_cookie(
        self, client: TestClient, core: CoreStub, user: tuple[str, str]
    ) -> None:
        headers = _bearer(core.issuer.sign(user[1]), origin="https://app.example")

        with client.websocket_connect("/ws", headers=headers) as socket:
            assert json.loads(socket.receive_text()) == {"type": "heartbeat"}

    def test_a_bearer_with_a_session_cookie_still_needs_the_public_origin(
        self, client: TestClient, core: CoreStub, browser: Browser, user: tuple[str, str]
    ) -> None:
        browser.log_in(user[0])
        headers = _bearer(
            core.issuer.sign(user[1]),
            origin="https://evil.test",
            cookie=f"__Host-tradeloop_session={browser.session_id}",
        )

        with pytest.raises(WebSocketDenialResponse) as refusal:
            with client.websocket_connect("/ws", headers=headers):
                pass

        assert refusal.value.status_code == 403

    def test_a_token_that_does_not_verify_is_refused_with_401(
        self, client: TestClient, core: CoreStub, user: tuple[str, str]
    ) -> None:
        expired = core.issuer.sign(user[1], ttl=-3600)

        with pytest.raises(WebSocketDenialResponse) as refusal:
            with client.websocket_connect("/ws", headers=_bearer(expired)):
                pass

        assert refusal.value.status_code == 401

    def test_the_socket_closes_when_its_access_token_expires(
        self, client: TestClient, core: CoreStub, clock: FakeClock, user: tuple[str, str]
    ) -> None:
        with client.websocket_connect("/ws", headers=_bearer(core.issuer.sign(user[1]))) as socket:
            clock.advance(minutes=16)

            assert _closed_with_reason(socket) == (1008, "token expired")

    def test_a_personal_api_token_opens_a_socket_until_it_is_revoked(
        self, client: TestClient, core: CoreStub, bus: FakeBus, user: tuple[str, str]
    ) -> None:
        token = core.add_api_token(user[1])
        mine = make_event("import.failed.v1", _import_failed(user[1]), source="/core-api")

        with client.websocket_connect("/ws", headers=_bearer(token)) as socket:
            bus.publish(mine)
            assert _next_event(socket)["event"]["id"] == mine.id  # type: ignore[index]
            del core.api_tokens[token]

            assert _closed_with_reason(socket) == (1008, "token revoked")

    def test_an_unknown_personal_api_token_is_refused_with_401(self, client: TestClient) -> None:
        with pytest.raises(WebSocketDenialResponse) as refusal:
            with client.websocket_connect("/ws", headers=_bearer("tlp_not-a-token")):
                pass

        assert refusal.value.status_code == 401
