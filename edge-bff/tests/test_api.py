from __future__ import annotations

import threading

import httpx
from starlette.testclient import TestClient

from edge_bff.app import create_app
from edge_bff.config import Settings

from .conftest import Browser, FakeBus, FakeClock
from .stubs import CoreStub, serve


class TestDashboard:
    def test_dashboard_combines_core_and_coach(
        self, browser: Browser, user: tuple[str, str]
    ) -> None:
        browser.log_in(user[0])

        body = browser.request("GET", "/api/v1/dashboard").json()

        assert body["partial"] == []
        assert body["statistics"]["net_pnl"] == "12.50"
        assert body["insights"] == {"items": []}

    def test_the_period_and_account_reach_core(
        self, browser: Browser, user: tuple[str, str], core: CoreStub
    ) -> None:
        browser.log_in(user[0])
        account = "7d4c2a1e-0000-4000-8000-000000000001"

        browser.request(
            "GET", f"/api/v1/dashboard?start=2026-01-01&end=2026-03-31&account_id={account}&x=1"
        )

        assert ("statistics", f"start=2026-01-01&end=2026-03-31&account_id={account}") in core.calls
        assert ("positions", f"limit=10&account_id={account}") in core.calls

    def test_another_trader_s_account_is_not_found_rather_than_partial(
        self, browser: Browser, user: tuple[str, str], core: CoreStub
    ) -> None:
        browser.log_in(user[0])
        account = "7d4c2a1e-0000-4000-8000-000000000002"
        core.foreign_accounts.add(account)

        response = browser.request("GET", f"/api/v1/dashboard?account_id={account}")

        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"

    def test_dashboard_is_partial_when_the_coach_is_down(
        self, coach_down_client: TestClient, user: tuple[str, str]
    ) -> None:
        browser = Browser(coach_down_client)
        browser.log_in(user[0])

        response = browser.request("GET", "/api/v1/dashboard")

        assert response.status_code == 200
        assert response.json()["partial"] == ["insights"]
        assert response.json()["positions"] == {"items": [], "next_cursor": None}

    def test_a_backend_that_hangs_is_cut_off_at_its_timeout_and_named(
        self, browser: Browser, user: tuple[str, str], core: CoreStub
    ) -> None:
        browser.log_in(user[0])
        core.hold_statistics = threading.Event()
        try:
            response = browser.request("GET", "/api/v1/dashboard")
        finally:
            core.hold_statistics.set()

        assert response.status_code == 200
        assert response.json()["partial"] == ["statistics"]
        assert response.json()["statistics"] is None
        assert response.json()["positions"] == {"items": [], "next_cursor": None}
        assert response.json()["insights"] == {"items": []}

    def test_dashboard_needs_a_login(self, client: TestClient) -> None:
        assert client.get("/api/v1/dashboard").status_code == 401


class TestDeleteAccount:
    def test_a_deleted_trader_is_logged_out_here_too(
        self, browser: Browser, user: tuple[str, str]
    ) -> None:
        browser.log_in(user[0])

        response = browser.request("DELETE", "/api/v1/me", json={"password": "right-password"})

        assert response.status_code == 204
        assert browser.request("GET", "/api/v1/me").status_code == 401

    def test_a_refused_deletion_keeps_the_session(
        self, browser: Browser, user: tuple[str, str]
    ) -> None:
        browser.log_in(user[0])

        response = browser.request("DELETE", "/api/v1/me", json={"password": "wrong"})

        assert response.status_code == 422
        assert browser.request("GET", "/api/v1/me").status_code == 200


class TestProxy:
    def test_coach_routes_go_to_the_coach_as_the_user(
        self, browser: Browser, user: tuple[str, str]
    ) -> None:
        browser.log_in(user[0])

        response = browser.request("GET", "/api/v1/coach/reviews")

        assert response.json()["path"] == "/v1/reviews"
        assert response.json()["headers"]["authorization"].startswith("Bearer ")

    def test_query_strings_reach_core_and_core_cookies_do_not_reach_the_browser(
        self, browser: Browser, user: tuple[str, str]
    ) -> None:
        browser.log_in(user[0])

        response = browser.request("GET", "/api/v1/executions?symbol=ES&limit=5")

        assert response.json()["query"] == "symbol=ES&limit=5"
        assert not any(c.startswith("core_cookie") for c in response.headers.get_list("set-cookie"))

    def test_bodies_over_the_upload_limit_are_refused(
        self, browser: Browser, user: tuple[str, str]
    ) -> None:
        browser.log_in(user[0])

        response = browser.request("POST", "/api/v1/journal/entries", json={"body": "x" * 2000})

        assert response.status_code == 413
        assert response.headers["content-type"] == "application/problem+json"

    def test_streamed_bodies_over_the_limit_are_refused(
        self, browser: Browser, user: tuple[str, str]
    ) -> None:
        browser.log_in(user[0])

        def chunks() -> object:
            for _ in range(10):
                yield b"x" * 500

        response = browser.request(
            "POST",
            "/api/v1/journal/entries",
            headers={"content-type": "application/json"},
            content=chunks(),
        )

        assert response.status_code == 413

    def test_hop_by_hop_headers_are_not_forwarded(
        self, browser: Browser, user: tuple[str, str]
    ) -> None:
        browser.log_in(user[0])

        response = browser.request(
            "GET", "/api/v1/accounts", headers={"connection": "x-secret", "x-secret": "1"}
        )

        assert "x-secret" not in response.json()["headers"]
        assert "x-csrf-token" not in response.json()["headers"]


class TestDownloads:
    def test_an_export_is_streamed_through_not_buffered(
        self,
        settings: Settings,
        clock: FakeClock,
        bus: FakeBus,
        core: CoreStub,
        user: tuple[str, str],
    ) -> None:
        app = create_app(settings, clock=clock, bus_factory=lambda _url: bus)
        headers = {"authorization": f"Bearer {core.issuer.sign(user[1])}"}
        with serve(app, lifespan=True) as url, httpx.Client(base_url=url) as http:
            with http.stream("GET", "/api/v1/export", headers=headers) as response:
                chunks = response.iter_raw()
                first = next(chunks)
                # Core has not sent the rest yet: the edge passed on what it had.
                assert not core.export_finished.is_set()
                core.release_export.set()
                rest = b"".join(chunks)

        assert response.status_code == 200
        assert response.headers["content-type"] == "application/zip"
        assert first + rest == b"PK first chunk and the rest"
        assert first == b"PK first chunk"
