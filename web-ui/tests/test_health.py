import socket
from collections.abc import Iterator

import httpx
import pytest
from pydantic import AnyHttpUrl
from tradeloop_contracts import Problem

from tests.stub_edge import ServerThread, StubEdge
from web_ui.app import create_app
from web_ui.config import WebSettings


@pytest.fixture
def web_ui_without_edge() -> Iterator[str]:
    """A web-ui whose edge address has nothing listening."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        silent = f"http://127.0.0.1:{probe.getsockname()[1]}"
    server = ServerThread(create_app(WebSettings(edge_url=AnyHttpUrl(silent))))
    server.start()
    yield server.url
    server.stop()


class TestHealth:
    def test_web_ui_is_alive_without_asking_edge(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        response = browser.get("/healthz")

        assert response.json() == {"status": "ok"}
        assert edge.requests == []

    def test_web_ui_is_ready_when_edge_answers(self, browser: httpx.Client, edge: StubEdge) -> None:
        edge.answer("GET", "/healthz", Problem(title="ok", status=200))

        response = browser.get("/readyz")

        assert response.status_code == 200
        assert [call.path for call in edge.requests] == ["/healthz"]

    def test_web_ui_is_not_ready_when_edge_is_down(self, web_ui_without_edge: str) -> None:
        response = httpx.get(f"{web_ui_without_edge}/readyz")

        assert response.status_code == 503
        assert response.json()["edge"] == "not answering"

    def test_pages_explain_that_edge_is_down_without_a_trace(
        self, web_ui_without_edge: str
    ) -> None:
        response = httpx.get(web_ui_without_edge, headers={"accept": "text/html"})

        assert response.status_code == 502
        assert "Tradeloop is not answering" in response.text
        assert "Traceback" not in response.text
        assert "ConnectError" not in response.text

    def test_a_client_that_wants_json_gets_a_problem(self, web_ui_without_edge: str) -> None:
        response = httpx.get(web_ui_without_edge, headers={"accept": "application/json"})

        assert response.status_code == 502
        assert response.headers["content-type"] == "application/problem+json"
        problem = Problem.model_validate_json(response.content)
        assert problem.title == "Tradeloop is not answering"
        assert problem.instance == "/"
