from __future__ import annotations

from starlette.testclient import TestClient

from edge_bff.config import Settings

from .conftest import Browser, FakeBus, FakeClock, make_client, session_cookie_of
from .stubs import closed_url


class TestPageProxy:
    def test_first_visit_gets_an_anonymous_session_cookie_with_strict_attributes(
        self, client: TestClient
    ) -> None:
        response = client.get("/")

        header = next(h for h in response.headers.get_list("set-cookie") if h.startswith("__Host-"))
        attributes = {part.strip().lower() for part in header.split(";")[1:]}
        assert attributes == {"path=/", "secure", "httponly", "samesite=lax"}
        assert len(session_cookie_of(response) or "") >= 22

    def test_web_ui_receives_the_session_cookie_csrf_token_and_tracing_headers(
        self, browser: Browser
    ) -> None:
        response = browser.open_page("/positions?page=2")

        seen = response.json()["headers"]
        assert f"__Host-tradeloop_session={browser.session_id}" in seen["cookie"]
        assert seen["x-csrf-token"] == browser.csrf_token
        assert seen["x-request-id"] == response.headers["x-request-id"]
        # One trace: the edge's answer names the same trace it sent on to web-ui.
        assert seen["traceparent"].split("-")[1] == response.headers["traceparent"].split("-")[1]

    def test_an_incoming_request_id_and_traceparent_are_forwarded(self, browser: Browser) -> None:
        traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
        response = browser.request(
            "GET", "/", headers={"x-request-id": "req-123", "traceparent": traceparent}
        )

        seen = response.json()["headers"]
        assert seen["x-request-id"] == "req-123"
        _, trace_id, parent_id, _ = seen["traceparent"].split("-")
        # The caller's trace continues; web-ui's parent is the edge's own span in it.
        assert trace_id == "0af7651916cd43dd8448eb211c80319c"
        assert parent_id != "b7ad6b7169203331"

    def test_web_ui_is_told_the_client_address_and_never_a_forged_one(
        self, browser: Browser
    ) -> None:
        response = browser.request("GET", "/", headers={"x-forwarded-for": "203.0.113.9"})

        seen = response.json()["headers"]
        assert seen["x-forwarded-for"] != "203.0.113.9"
        assert "," not in seen["x-forwarded-for"]

    def test_web_ui_cookies_are_relayed_and_its_csp_is_replaced(self, browser: Browser) -> None:
        response = browser.open_page()

        assert any(c.startswith("web_pref=") for c in response.headers.get_list("set-cookie"))
        assert "default-src *" not in response.headers["content-security-policy"]

    def test_a_client_cannot_forge_the_nonce_or_token_sent_to_web_ui(
        self, browser: Browser
    ) -> None:
        browser.open_page()
        response = browser.request("GET", "/", headers={"x-csp-nonce": "forged"})

        assert response.json()["headers"]["x-csp-nonce"] != "forged"


class TestHealth:
    def test_healthz_answers(self, client: TestClient) -> None:
        assert client.get("/healthz").json() == {"status": "ok"}

    def test_readyz_is_ok_when_core_web_and_the_store_answer(self, client: TestClient) -> None:
        response = client.get("/readyz")

        assert response.status_code == 200, response.text

    def test_readyz_is_503_naming_core_when_core_does_not_answer(
        self, settings: Settings, clock: FakeClock, bus: FakeBus
    ) -> None:
        without_core = settings.model_copy(update={"core_url": closed_url()})
        with make_client(without_core, clock, bus) as client:
            response = client.get("/readyz")

        assert response.status_code == 503
        assert response.json() == {"status": "unavailable", "failing": ["core"]}
