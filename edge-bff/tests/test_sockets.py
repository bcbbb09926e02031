from __future__ import annotations

import json
import uuid

import pytest
from starlette.testclient import TestClient, WebSocketDenialResponse
from tradeloop_contracts import ImportFailed, make_event

from .conftest import ORIGIN, Browser, FakeBus


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

    def test_heartbeats_flow_while_nothing_happens(
        self, client: TestClient, user: tuple[str, str]
    ) -> None:
        browser = Browser(client)
        browser.log_in(user[0])

        with _connect(client, browser) as socket:  # type: ignore[attr-defined]
            assert json.loads(socket.receive_text()) == {"type": "heartbeat"}
