"""Every answer of the edge carries the security headers: pages, API calls, problems of every
kind, replays, refused WebSocket upgrades and failures of the edge itself."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient, WebSocketDenialResponse

from edge_bff.config import Settings
from edge_bff.context import context_of
from edge_bff.errors import UnexpectedErrorMiddleware
from edge_bff.headers import SecurityHeadersMiddleware

from .conftest import ORIGIN, Browser, FakeBus, FakeClock, make_client
from .stubs import CoreStub, free_port

ONE_YEAR_SECONDS = 365 * 24 * 60 * 60


def _directives(csp: str) -> dict[str, list[str]]:
    parsed = {}
    for directive in csp.split(";"):
        name, *values = directive.split()
        parsed[name] = values
    return parsed


def assert_security_headers(response: httpx.Response, *, authenticated: bool) -> None:
    """The headers a security reviewer asks of every answer (and `no-store` when it is tied
    to a session or a token)."""
    headers = response.headers
    csp = _directives(headers["content-security-policy"])
    assert re.fullmatch(r"'nonce-[A-Za-z0-9_-]{22,}'", csp["script-src"][0])
    assert "'strict-dynamic'" in csp["script-src"]
    for values in csp.values():
        assert "'unsafe-inline'" not in values
        assert "'unsafe-eval'" not in values
        assert "*" not in values
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["default-src"] == ["'self'"]

    hsts = [part.strip() for part in headers["strict-transport-security"].split(";")]
    max_age = int(next(p for p in hsts if p.startswith("max-age=")).removeprefix("max-age="))
    assert max_age >= ONE_YEAR_SECONDS
    assert "includeSubDomains" in hsts

    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] in (
        "no-referrer",
        "same-origin",
        "strict-origin-when-cross-origin",
    )
    permissions = headers["permissions-policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()"):
        assert feature in permissions
    assert headers["x-frame-options"] == "DENY"
    assert headers["cross-origin-opener-policy"] == "same-origin"
    assert headers["cross-origin-resource-policy"] == "same-origin"
    if authenticated:
        assert headers["cache-control"] == "no-store"


@pytest.fixture
def logged_in(browser: Browser, user: tuple[str, str]) -> Browser:
    browser.log_in(user[0])
    return browser


def _bearer(core: CoreStub, user_id: str) -> dict[str, str]:
    return {"authorization": f"Bearer {core.issuer.sign(user_id)}"}


class TestHeadersOnEveryAnswer:
    def test_a_page_from_web_ui(self, browser: Browser) -> None:
        response = browser.open_page("/journal")

        assert response.status_code == 200
        assert_security_headers(response, authenticated=True)

    def test_web_ui_receives_the_nonce_of_the_answer(self, browser: Browser) -> None:
        response = browser.open_page()

        nonce = response.json()["headers"]["x-csp-nonce"]
        assert f"'nonce-{nonce}'" in response.headers["content-security-policy"]

    def test_every_answer_has_a_fresh_nonce(self, browser: Browser) -> None:
        first = browser.open_page().headers["content-security-policy"]
        second = browser.open_page().headers["content-security-policy"]

        assert first != second

    def test_an_api_answer_to_a_session(self, logged_in: Browser) -> None:
        response = logged_in.request("GET", "/api/v1/me")

        assert response.status_code == 200
        assert_security_headers(response, authenticated=True)

    def test_the_login_answer(self, browser: Browser, user: tuple[str, str]) -> None:
        response = browser.log_in(user[0])

        assert response.status_code == 200
        assert_security_headers(response, authenticated=True)

    def test_an_api_answer_to_a_bearer_token(
        self, client: TestClient, core: CoreStub, user: tuple[str, str]
    ) -> None:
        response = client.get("/api/v1/accounts", headers=_bearer(core, user[1]))

        assert response.status_code == 200
        assert_security_headers(response, authenticated=True)

    def test_the_dashboard(self, client: TestClient, core: CoreStub, user: tuple[str, str]) -> None:
        response = client.get("/api/v1/dashboard", headers=_bearer(core, user[1]))

        assert response.status_code == 200
        assert_security_headers(response, authenticated=True)

    def test_a_401_problem(self, client: TestClient) -> None:
        response = client.get("/api/v1/me")

        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert_security_headers(response, authenticated=False)

    def test_a_csrf_refusal(self, logged_in: Browser) -> None:
        response = logged_in.request(
            "POST", "/api/v1/accounts", headers={"x-csrf-token": ""}, json={}
        )

        assert response.status_code == 403
        assert_security_headers(response, authenticated=True)

    def test_an_oversized_body(
        self, client: TestClient, core: CoreStub, user: tuple[str, str]
    ) -> None:
        response = client.post(
            "/api/v1/notes", json={"text": "x" * 2000}, headers=_bearer(core, user[1])
        )

        assert response.status_code == 413
        assert_security_headers(response, authenticated=True)

    def test_a_wrong_content_type(
        self, client: TestClient, core: CoreStub, user: tuple[str, str]
    ) -> None:
        response = client.post(
            "/api/v1/notes",
            content=b"text=x",
            headers={**_bearer(core, user[1]), "content-type": "text/plain"},
        )

        assert response.status_code == 415
        assert_security_headers(response, authenticated=True)

    def test_an_idempotent_replay(
        self, client: TestClient, core: CoreStub, user: tuple[str, str]
    ) -> None:
        headers = {**_bearer(core, user[1]), "idempotency-key": "replayed-headers"}
        client.post("/api/v1/accounts", json={"name": "a"}, headers=headers)
        response = client.post("/api/v1/accounts", json={"name": "a"}, headers=headers)

        assert response.headers["idempotent-replayed"] == "true"
        assert_security_headers(response, authenticated=True)

    def test_a_429(self, settings: Settings, clock: FakeClock, bus: FakeBus) -> None:
        strict = settings.model_copy(update={"rate_limit_ip_per_minute": 1})
        with make_client(strict, clock, bus) as client:
            client.get("/api/v1/me")
            response = client.get("/api/v1/me")

        assert response.status_code == 429
        assert_security_headers(response, authenticated=False)

    def test_a_refused_websocket_upgrade(self, client: TestClient, logged_in: Browser) -> None:
        with pytest.raises(WebSocketDenialResponse) as refusal:
            with client.websocket_connect(
                "/ws",
                headers={
                    "origin": "https://evil.test",
                    "cookie": f"__Host-tradeloop_session={logged_in.session_id}",
                },
            ):
                pass

        assert refusal.value.status_code == 403
        assert_security_headers(refusal.value, authenticated=True)


@pytest.fixture
def store_down_client(settings: Settings, clock: FakeClock, bus: FakeBus) -> Iterator[TestClient]:
    unreachable = settings.model_copy(
        update={"session_store_url": f"redis://127.0.0.1:{free_port()}/0"}
    )
    with make_client(unreachable, clock, bus) as client:
        yield client


class TestFailuresOfTheEdge:
    def test_an_unreachable_session_store_is_a_503_problem_with_the_headers(
        self, store_down_client: TestClient
    ) -> None:
        response = store_down_client.get("/", headers={"origin": ORIGIN})

        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["retry-after"].isdigit()
        assert "Traceback" not in response.text
        assert_security_headers(response, authenticated=False)

    def test_an_unexpected_failure_is_a_500_problem_with_the_headers(self) -> None:
        async def broken(request: Request) -> Response:
            # The session middleware would have set it; a failure after that point.
            assert context_of(request.scope) is not None
            raise RuntimeError("secret detail")

        app = Starlette(
            routes=[Route("/", broken)],
            middleware=[
                Middleware(SecurityHeadersMiddleware, public_origin=ORIGIN),
                Middleware(UnexpectedErrorMiddleware),
            ],
        )
        with TestClient(app, raise_server_exceptions=False) as client:
            response = client.get("/", headers={"authorization": "Bearer x"})

        assert response.status_code == 500
        assert response.headers["content-type"] == "application/problem+json"
        assert "secret detail" not in response.text
        assert_security_headers(response, authenticated=True)


class TestCspReports:
    def test_the_policy_names_where_violations_are_reported(self, browser: Browser) -> None:
        response = browser.open_page()

        csp = _directives(response.headers["content-security-policy"])
        assert csp["report-uri"] == ["/csp-reports"]
        assert csp["report-to"] == ["csp"]
        assert response.headers["reporting-endpoints"] == f'csp="{ORIGIN}/csp-reports"'

    def test_a_report_is_logged_without_its_query_strings(
        self, browser: Browser, caplog: pytest.LogCaptureFixture
    ) -> None:
        browser.open_page()
        report = {
            "csp-report": {
                "document-uri": f"{ORIGIN}/journal?entry=secret-note",
                "violated-directive": "script-src-elem",
                "effective-directive": "script-src-elem",
                "blocked-uri": "https://evil.test/x.js?token=stolen",
            }
        }

        with caplog.at_level("WARNING", logger="edge_bff.csp_reports"):
            # Sent by the browser with the cookie but without a CSRF token.
            response = browser.request(
                "POST",
                "/csp-reports",
                headers={"content-type": "application/csp-report", "x-csrf-token": ""},
                content=json.dumps(report).encode(),
            )

        assert response.status_code == 204
        [record] = [r for r in caplog.records if r.name == "edge_bff.csp_reports"]
        assert record.__dict__["directive"] == "script-src-elem"
        assert record.__dict__["blocked"] == "https://evil.test/x.js"
        assert record.__dict__["page"] == "/journal"
        assert "stolen" not in caplog.text
        assert "secret-note" not in caplog.text

    def test_reports_of_the_reporting_api_are_accepted(self, client: TestClient) -> None:
        reports = [
            {
                "type": "csp-violation",
                "body": {
                    "documentURL": f"{ORIGIN}/",
                    "effectiveDirective": "script-src-elem",
                    "blockedURL": "inline",
                },
            }
        ]

        response = client.post(
            "/csp-reports",
            content=json.dumps(reports).encode(),
            headers={"content-type": "application/reports+json"},
        )

        assert response.status_code == 204

    @pytest.mark.parametrize(
        ("content_type", "body", "status"),
        [
            ("application/csp-report", b"not json", 400),
            ("application/csp-report", b'{"something": "else"}', 400),
            ("text/plain", b"{}", 415),
            ("application/csp-report", b"x" * 20_000, 413),
        ],
    )
    def test_anything_else_is_a_problem(
        self, client: TestClient, content_type: str, body: bytes, status: int
    ) -> None:
        response = client.post("/csp-reports", content=body, headers={"content-type": content_type})

        assert response.status_code == status
        assert response.headers["content-type"] == "application/problem+json"
