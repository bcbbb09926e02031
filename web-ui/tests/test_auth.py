import json

import httpx
from tradeloop_contracts import Problem, ProblemField

from tests.conftest import CSRF_TOKEN, HTMX, SESSION_COOKIE
from tests.factories import a_user
from tests.html import by_testid, page, text_of
from tests.stub_edge import StubEdge

NEW_SESSION = "__Host-tradeloop_session=fresh-id; Path=/; Secure; HttpOnly; SameSite=Lax"


class TestLogin:
    def test_the_login_page_has_a_labelled_form(self, browser: httpx.Client) -> None:
        response = browser.get("/login")

        assert response.status_code == 200
        form = by_testid(page(response), "login-form")
        assert form["hx-post"] == "/login"
        for name in ("email", "password"):
            field = form.find("input", attrs={"name": name})
            assert field is not None
            assert form.find("label", attrs={"for": field["id"]}) is not None

    def test_login_sends_the_credentials_to_edge_copies_its_cookie_and_redirects(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.answer("POST", "/api/v1/auth/login", a_user(), set_cookies=[NEW_SESSION])

        response = browser.post(
            "/login",
            data={"email": "Trader@Example.com", "password": "correct horse battery"},
            headers=HTMX,
        )

        assert response.status_code == 204
        assert response.headers["hx-redirect"] == "/"
        assert response.headers.get_list("set-cookie") == [NEW_SESSION]
        [call] = edge.received("POST", "/api/v1/auth/login")
        assert json.loads(call.body) == {
            "email": "trader@example.com",
            "password": "correct horse battery",
        }
        assert call.headers["x-csrf-token"] == CSRF_TOKEN
        assert call.headers["cookie"] == SESSION_COOKIE
        assert call.headers["idempotency-key"]

    def test_spaces_around_a_password_are_kept(self, browser: httpx.Client, edge: StubEdge) -> None:
        edge.answer("POST", "/api/v1/auth/login", a_user(), set_cookies=[NEW_SESSION])

        browser.post(
            "/login",
            data={"email": " trader@example.com ", "password": "  spaced passphrase  "},
            headers=HTMX,
        )

        [call] = edge.received("POST", "/api/v1/auth/login")
        assert json.loads(call.body)["password"] == "  spaced passphrase  "

    def test_wrong_credentials_show_an_inline_error_and_no_redirect(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.refuse("POST", "/api/v1/auth/login", Problem(title="Invalid credentials", status=401))

        response = browser.post(
            "/login", data={"email": "a@example.com", "password": "wrong-password"}, headers=HTMX
        )

        assert response.status_code == 401
        assert "hx-redirect" not in response.headers
        assert "set-cookie" not in response.headers
        form = by_testid(page(response), "login-form")
        assert "email or the password is wrong" in text_of(form)
        assert "wrong-password" not in response.text

    def test_an_unreachable_edge_is_explained_in_the_form(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.refuse("POST", "/api/v1/auth/login", Problem(title="Bad Gateway", status=502))

        response = browser.post(
            "/login", data={"email": "a@example.com", "password": "whatever-it-is"}, headers=HTMX
        )

        assert response.status_code == 502
        form = by_testid(page(response), "login-form")
        assert "could not be reached" in text_of(form)
        email = form.find("input", attrs={"name": "email"})
        assert email is not None
        assert email["value"] == "a@example.com"

    def test_a_malformed_email_is_refused_before_edge_is_asked(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        response = browser.post(
            "/login", data={"email": "not-an-email", "password": "whatever-it-is"}, headers=HTMX
        )

        assert response.status_code == 422
        soup = page(response)
        error = soup.find(id="login-email-error")
        assert error is not None
        assert error.get_text().strip() == "Enter an email address such as you@example.com"
        assert edge.requests == []


class TestSignup:
    def test_signup_creates_the_account_through_edge_and_keeps_its_session(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.answer("POST", "/api/v1/auth/signup", a_user(), status=201, set_cookies=[NEW_SESSION])

        response = browser.post(
            "/signup",
            data={
                "email": "new@example.com",
                "password": "a long enough passphrase",
                "time_zone": "Europe/Berlin",
                "base_currency": "EUR",
            },
            headers=HTMX,
        )

        assert response.status_code == 204
        assert response.headers["hx-redirect"] == "/"
        assert response.headers.get_list("set-cookie") == [NEW_SESSION]
        [call] = edge.received("POST", "/api/v1/auth/signup")
        assert json.loads(call.body) == {
            "email": "new@example.com",
            "password": "a long enough passphrase",
            "time_zone": "Europe/Berlin",
            "base_currency": "EUR",
        }

    def test_a_short_password_is_named_next_to_its_field(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        response = browser.post(
            "/signup", data={"email": "new@example.com", "password": "short"}, headers=HTMX
        )

        assert response.status_code == 422
        soup = page(response)
        error = soup.find(id="signup-password-error")
        assert error is not None
        assert "10 characters" in error.get_text()
        email = soup.find("input", attrs={"name": "email"})
        assert email is not None
        assert email["value"] == "new@example.com"
        assert edge.requests == []

    def test_an_email_edge_refuses_is_shown_next_to_the_email_field(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        taken = Problem(
            title="Conflict",
            status=409,
            errors=[ProblemField(location="/email", message="This email is already registered")],
        )
        edge.refuse("POST", "/api/v1/auth/signup", taken)

        response = browser.post(
            "/signup",
            data={"email": "taken@example.com", "password": "a long enough passphrase"},
            headers=HTMX,
        )

        assert response.status_code == 409
        error = page(response).find(id="signup-email-error")
        assert error is not None
        assert error.get_text().strip() == "This email is already registered"


class TestLogout:
    def test_logout_ends_the_session_at_edge_and_relays_the_cookie_removal(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        cleared = "__Host-tradeloop_session=; Max-Age=0; Path=/; Secure; HttpOnly"
        edge.answer("POST", "/api/v1/auth/logout", status=204, set_cookies=[cleared])

        response = browser.post("/logout", headers=HTMX)

        assert response.headers["hx-redirect"] == "/login"
        assert response.headers.get_list("set-cookie") == [cleared]
        [call] = edge.received("POST", "/api/v1/auth/logout")
        assert call.headers["cookie"] == SESSION_COOKIE
        assert call.headers["x-csrf-token"] == CSRF_TOKEN

    def test_logout_without_a_session_still_lands_on_the_login_page(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.refuse("POST", "/api/v1/auth/logout", Problem(title="Unauthorized", status=401))

        response = browser.post("/logout")

        assert response.status_code == 303
        assert response.headers["location"] == "/login"
