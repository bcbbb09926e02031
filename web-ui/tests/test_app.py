import io
import json
import logging
from collections.abc import Iterator

import httpx
import pytest
from pydantic import AnyHttpUrl
from tradeloop_contracts.telemetry import capture_spans, configure_logging

from tests.stub_edge import ServerThread
from web_ui.app import create_app
from web_ui.config import WebSettings


@pytest.fixture
def app_with_a_broken_page(stub: tuple[object, str]) -> Iterator[str]:
    app = create_app(WebSettings(edge_url=AnyHttpUrl(stub[1])))

    async def broken() -> None:
        raise RuntimeError("secret detail: db password is hunter2")

    app.add_api_route("/broken", broken)
    server = ServerThread(app)
    server.start()
    yield server.url
    server.stop()


class TestUnexpectedErrors:
    def test_an_unexpected_error_is_a_plain_page_without_its_detail(
        self, app_with_a_broken_page: str
    ) -> None:
        response = httpx.get(f"{app_with_a_broken_page}/broken", headers={"accept": "text/html"})

        assert response.status_code == 500
        assert "Something went wrong" in response.text
        assert "hunter2" not in response.text
        assert "Traceback" not in response.text

    def test_the_error_is_logged_with_the_trace_the_response_names(
        self, app_with_a_broken_page: str, json_log: io.StringIO
    ) -> None:
        with capture_spans("web-ui"):
            response = httpx.get(
                f"{app_with_a_broken_page}/broken", headers={"accept": "text/html"}
            )

        assert response.status_code == 500
        trace_id = response.headers["traceparent"].split("-")[1]
        lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
        (error,) = [line for line in lines if line["logger"] == "web_ui"]
        assert error["level"] == "ERROR"
        assert error["message"] == "unexpected error answering GET /broken"
        assert error["trace_id"] == trace_id
        assert "RuntimeError" in error["exc_info"]


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """The process' log as web-ui serve writes it (JSON lines), captured for one test."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    stream = io.StringIO()
    configure_logging("web-ui", stream=stream)
    try:
        yield stream
    finally:
        for handler in root.handlers[:]:
            root.removeHandler(handler)
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(level)
