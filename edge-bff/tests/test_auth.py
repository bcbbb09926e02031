from __future__ import annotations

from starlette.testclient import TestClient

from .conftest import Browser, FakeClock
from .stubs import PASSWORD, CoreStub


class TestLogin:
    def test_login_returns_the_user_and_changes_the_session_id(
        self, browser: Browser, user: tuple[str, str]
    ) -> None:
        browser.open_page()
        anonymous_id = browser.session_id

        response = browser.log_in(user[0])

        assert response.status_code == 200, response.text
        assert response.json()["id"] == user[1]
        assert browser.session_id not in (None, anonymous_id)
        assert response.headers["cache-control"] == "no-store"

    def test_the_login_cookie_is_host_only_secure_hidden_from_scripts_and_same_site(
        self, browser: Browser, user: tuple[str, str]
    ) -> None:
        response = browser.log_in(user[0])

        [cookie] = [c for c in response.headers.get_list("set-cookie") if c.startswith("__Host-")]
        attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
        assert attributes == {"path=/", "secure", "httponly", "samesite=lax"}

    def test_a_session_id_planted_before_login_never_becomes_the_logged_in_one(
        self, client: TestClient, user: tuple[str, str]
    ) -> None:
        planted = "attacker-chosen-session-id-0123456789abcdef"
        browser = Browser(client)
        browser.session_id = planted
        browser.open_page()
        browser.log_in(user[0])

        response = client.get(
            "/api/v1/me", headers={"cookie": f"__Host-tradeloop_session={planted}"}
        )

        assert browser.session_id != planted
        assert response.status_code == 401

    def test_the_pre_login_session_id_is_dead_after_login(
        self, browser: Browser, client: TestClient, user: tuple[str, str]
    ) -> None:
        browser.open_page()
        planted = browser.session_id
        browser.log_in(user[0])

        response = client.get(
            "/api/v1/me", headers={"cookie": f"__Host-tradeloop_session={planted}"}
        )

        assert response.status_code == 401

    def test_an_oversized_login_body_is_a_413_problem_before_core_sees_it(
        self, client: TestClient, core: CoreStub
    ) -> None:
        response = client.post(
            "/api/v1/auth/login", json={"email": "a@example.com", "password": "x" * 20_000}
        )

        assert response.status_code == 413
        assert response.headers["content-type"] == "application/problem+json"
        assert not any(call[0] == "login" for call in core.calls)

    def test_the_session_acts_as_the_user_on_core(
        self, browser: Browser, user: tuple[str, str]
    ) -> None:
        browser.log_in(user[0])

        response = browser.request("GET", "/api/v1/accounts")

        assert response.json()["user"] == user[1]
        assert "cookie" not in response.json()["headers"]

    def test_wrong_password_relays_core_problem_and_keeps_the_session(
        self, browser: Browser, user: tuple[str, str]
    ) -> None:
        browser.open_page()
        before = browser.session_id

        response = browser.request(
            "POST", "/api/v1/auth/login", json={"email": user[0], "password": "wrong-password"}
        )

        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert browser.session_id == before

    def test_a_malformed_body_is_a_problem_naming_the_field(self, browser: Browser) -> None:
        browser.open_page()

        response = browser.request("POST", "/api/v1/auth/login", json={"email": "not-an-email"})

        assert response.status_code == 422
        locations = {error["location"] for error in response.json()["errors"]}
        assert {"/email", "/password"} <= locations


class TestSignup:
    def test_signup_creates_the_account_and_logs_in(self, browser: Browser, core: CoreStub) -> None:
        browser.open_page()
        email = f"new-{len(core.users)}@example.com"

        response = browser.request(
            "POST", "/api/v1/auth/signup", json={"email": email, "password": PASSWORD}
        )

        assert response.status_code == 201, response.text
        assert response.json()["email"] == email
        assert browser.request("GET", "/api/v1/accounts").json()["user"] == core.users[email]


class TestLogout:
    def test_logout_clears_the_cookie_and_revokes_the_refresh_token(
        self, browser: Browser, core: CoreStub, user: tuple[str, str]
    ) -> None:
        browser.log_in(user[0])
        old_id = browser.session_id

        response = browser.request("POST", "/api/v1/auth/logout")

        assert response.status_code == 204
        assert browser.session_id is None
        assert any(kind == "logout" for kind, _ in core.calls)
        browser.session_id = old_id
        assert browser.request("GET", "/api/v1/me").status_code == 401


class TestTokenForApps:
    def test_token_route_returns_a_pair_and_sets_no_cookie(
        self, client: TestClient, user: tuple[str, str]
    ) -> None:
        response = client.post("/api/v1/auth/token", json={"email": user[0], "password": PASSWORD})

        assert response.status_code == 200
        assert set(response.json()) >= {"access_token", "refresh_token", "expires_in"}
        assert "set-cookie" not in response.headers

    def test_the_bearer_token_acts_as_the_user_without_csrf(
        self, client: TestClient, user: tuple[str, str]
    ) -> None:
        token = client.post(
            "/api/v1/auth/token", json={"email": user[0], "password": PASSWORD}
        ).json()["access_token"]

        response = client.post(
            "/api/v1/journal/entries",
            json={"body": "calm"},
            headers={"authorization": f"Bearer {token}", "idempotency-key": "k-1"},
        )

        assert response.status_code == 200
        assert response.json()["user"] == user[1]


class TestTimeouts:
    def test_a_session_idle_for_more_than_30_minutes_is_gone(
        self, browser: Browser, clock: FakeClock, user: tuple[str, str]
    ) -> None:
        browser.log_in(user[0])

        clock.advance(minutes=31)

        assert browser.request("GET", "/api/v1/me").status_code == 401

    def test_activity_keeps_a_session_alive_until_the_12_hour_limit(
        self, browser: Browser, clock: FakeClock, core: CoreStub, user: tuple[str, str]
    ) -> None:
        core.access_ttl = 24 * 3600
        browser.log_in(user[0])
        for _ in range(24):  # 24 x 29 min = 11 h 36 min
            clock.advance(minutes=29)
            assert browser.request("GET", "/api/v1/me").status_code == 200

        clock.advance(minutes=29)

        assert browser.request("GET", "/api/v1/me").status_code == 401

    def test_an_expired_access_token_is_refreshed_through_core(
        self, browser: Browser, clock: FakeClock, core: CoreStub, user: tuple[str, str]
    ) -> None:
        core.access_ttl = 600
        browser.log_in(user[0])
        clock.advance(minutes=11)

        response = browser.request("GET", "/api/v1/me")

        assert response.status_code == 200
        assert [kind for kind, _ in core.calls].count("refresh") == 1

    def test_the_rotated_refresh_token_is_stored_back(
        self, browser: Browser, clock: FakeClock, core: CoreStub, user: tuple[str, str]
    ) -> None:
        core.access_ttl = 600
        browser.log_in(user[0])
        clock.advance(minutes=11)
        browser.request("GET", "/api/v1/me")
        clock.advance(minutes=11)

        response = browser.request("GET", "/api/v1/me")

        assert response.status_code == 200
        used = [token for kind, token in core.calls if kind == "refresh"]
        assert len(used) == 2
        assert used[0] != used[1]
