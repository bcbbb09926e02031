"""A real web-ui server in front of a stub of edge's API, and a client that acts as edge."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from pydantic import AnyHttpUrl
from tradeloop_contracts import PlaybookList

from tests.factories import a_user, an_account, an_account_list
from tests.stub_edge import ServerThread, StubEdge
from web_ui.app import create_app
from web_ui.config import WebSettings

NONCE = "rAnd0mN0nce+/="
CSRF_TOKEN = "csrf.0123456789abcdef"
SESSION_COOKIE = "__Host-tradeloop_session=opaque-session-id"


@pytest.fixture(scope="session")
def stub() -> Iterator[tuple[StubEdge, str]]:
    edge = StubEdge()
    server = ServerThread(edge.app())
    server.start()
    yield edge, server.url
    server.stop()


@pytest.fixture(scope="session")
def web_ui_url(stub: tuple[StubEdge, str]) -> Iterator[str]:
    settings = WebSettings(edge_url=AnyHttpUrl(stub[1]), edge_timeout_seconds=5)
    server = ServerThread(create_app(settings))
    server.start()
    yield server.url
    server.stop()


@pytest.fixture
def edge(stub: tuple[StubEdge, str]) -> Iterator[StubEdge]:
    """The stub edge API at the start of each test: a signed-in trader in UTC, one account,
    no playbook."""
    stub[0].reset()
    stub[0].answer("GET", "/api/v1/me", a_user())
    stub[0].answer("GET", "/api/v1/accounts", an_account_list(an_account()))
    stub[0].answer("GET", "/api/v1/playbooks", PlaybookList(items=[]))
    yield stub[0]
    stub[0].reset()


@pytest.fixture
def browser(web_ui_url: str) -> Iterator[httpx.Client]:
    """Requests as edge proxies them to web-ui: nonce, CSRF token, cookie, request id, client."""
    headers = {
        "accept": "text/html,application/xhtml+xml",
        "x-csp-nonce": NONCE,
        "x-csrf-token": CSRF_TOKEN,
        "cookie": SESSION_COOKIE,
        "x-request-id": "req-42",
        "x-forwarded-for": "198.51.100.7",
    }
    with httpx.Client(base_url=web_ui_url, headers=headers, follow_redirects=False) as client:
        yield client


HTMX = {"hx-request": "true"}
"""Headers HTMX adds to the requests it makes."""
