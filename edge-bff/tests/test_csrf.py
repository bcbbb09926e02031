from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from .conftest import Browser
from .stubs import PASSWORD


@pytest.fixture
def logged_in(browser: Browser, user: tuple[str, str]) -> Browser:
    browser.log_in(user[0])
    return browser


class TestCsrf:
    def test_a_request_with_the_sessions_token_passes(self, logged_in: Browser) -> None:
        response = logged_in.request("POST", "/api/v1/journal/entries", json={"body": "ok"})

        assert response.status_code == 200

    def test_a_missing_token_is_refused(self, logged_in: Browser) -> None:
        response = logged_in.request(
            "POST", "/api/v1/journal/entries", headers={"x-csrf-token": ""}, json={}
        )

        assert response.status_code == 403
        assert "missing" in response.json()["detail"]

    def test_an_invalid_token_is_refused(self, logged_in: Browser) -> None:
        response = logged_in.request(
            "POST", "/api/v1/journal/entries", headers={"x-csrf-token": "abc.def"}, json={}
        )

        assert response.status_code == 403

    def test_a_token_from_another_session_is_refused(
        self, client: TestClient, logged_in: Browser
    ) -> None:
        other = Browser(client)
        other.open_page()

        response = logged_in.request(
            "POST",
            "/api/v1/journal/entries",
            headers={"x-csrf-token": other.csrf_token or ""},
            json={},
        )

        assert response.status_code == 403

    def test_cross_site_fetch_metadata_is_refused(self, logged_in: Browser) -> None:
        response = logged_in.request(
            "POST", "/api/v1/journal/entries", headers={"sec-fetch-site": "cross-site"}, json={}
        )

        assert response.status_code == 403
        assert "Sec-Fetch-Site" in response.headers["vary"]

    def test_a_foreign_origin_is_refused(self, logged_in: Browser) -> None:
        response = logged_in.request(
            "POST", "/api/v1/journal/entries", headers={"origin": "https://evil.test"}, json={}
        )

        assert response.status_code == 403

    def test_web_ui_calling_back_without_origin_or_fetch_metadata_passes(
        self, logged_in: Browser
    ) -> None:
        response = logged_in.request(
            "POST",
            "/api/v1/journal/entries",
            headers={"origin": "", "sec-fetch-site": ""},
            json={"body": "from the server side"},
        )

        assert response.status_code == 200

    def test_a_cross_site_login_form_is_refused_even_without_a_session(
        self, client: TestClient, user: tuple[str, str]
    ) -> None:
        response = client.post(
            "/api/v1/auth/login",
            json={"email": user[0], "password": PASSWORD},
            headers={"sec-fetch-site": "cross-site"},
        )

        assert response.status_code == 403

    @pytest.mark.parametrize("path", ["/api/v1/auth/login", "/api/v1/auth/signup"])
    def test_login_and_signup_riding_the_anonymous_session_need_its_token(
        self, browser: Browser, user: tuple[str, str], path: str
    ) -> None:
        browser.open_page()

        response = browser.request(
            "POST",
            path,
            headers={"x-csrf-token": ""},
            json={"email": user[0], "password": PASSWORD},
        )

        assert response.status_code == 403
        assert "X-CSRF-Token" in response.json()["detail"]

    def test_a_cross_site_signup_is_refused(self, client: TestClient) -> None:
        response = client.post(
            "/api/v1/auth/signup",
            json={"email": "victim@example.com", "password": PASSWORD},
            headers={"origin": "https://evil.test"},
        )

        assert response.status_code == 403

    @pytest.mark.parametrize(
        "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
    )
    def test_json_routes_refuse_other_content_types(
        self, logged_in: Browser, content_type: str
    ) -> None:
        response = logged_in.request(
            "POST",
            "/api/v1/journal/entries",
            headers={"content-type": content_type},
            content=b'{"body": "x"}',
        )

        assert response.status_code == 415

    @pytest.mark.parametrize(
        "path",
        [
            "/api/v1/positions/0b9d7a52-3f4e-4f59-9a57-0c6f1f1f2a10/attachments",
            "/api/v1/journal/entries/0b9d7a52-3f4e-4f59-9a57-0c6f1f1f2a10/attachments",
            "/api/v1/import-archive",
        ],
    )
    def test_screenshot_uploads_may_be_multipart(self, logged_in: Browser, path: str) -> None:
        response = logged_in.request(
            "POST",
            path,
            headers={"content-type": "multipart/form-data; boundary=abc"},
            content=b"--abc--\r\n",
        )

        assert response.status_code != 415

    def test_multipart_stops_at_the_attachments_route(self, logged_in: Browser) -> None:
        response = logged_in.request(
            "POST",
            "/api/v1/positions/0b9d7a52-3f4e-4f59-9a57-0c6f1f1f2a10/attachments/x",
            headers={"content-type": "multipart/form-data; boundary=abc"},
            content=b"--abc--\r\n",
        )

        assert response.status_code == 415

    def test_a_bearer_request_without_a_cookie_is_exempt(
        self, client: TestClient, user: tuple[str, str]
    ) -> None:
        token = client.post(
            "/api/v1/auth/token", json={"email": user[0], "password": PASSWORD}
        ).json()["access_token"]

        response = client.post(
            "/api/v1/journal/entries",
            json={},
            headers={
                "authorization": f"Bearer {token}",
                "origin": "https://app.example",
                "idempotency-key": "k-1",
            },
        )

        assert response.status_code == 200

    def test_a_bearer_request_with_a_cookie_still_needs_the_token(
        self, client: TestClient, logged_in: Browser, user: tuple[str, str]
    ) -> None:
        token = client.post(
            "/api/v1/auth/token", json={"email": user[0], "password": PASSWORD}
        ).json()["access_token"]

        response = logged_in.request(
            "POST",
            "/api/v1/journal/entries",
            headers={"authorization": f"Bearer {token}", "x-csrf-token": ""},
            json={},
        )

        assert response.status_code == 403
