from collections.abc import Iterator

import httpx
import pytest
from pydantic import AnyHttpUrl

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
