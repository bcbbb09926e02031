import json
import uuid

import httpx
from tradeloop_contracts import ApiTokenCreated, ArchiveRestoreResult, Problem

from tests.conftest import HTMX
from tests.factories import a_user, an_account, an_api_token
from tests.html import all_by_testid, by_testid, page, text_of
from tests.stub_edge import StubEdge


def tokens_answer(edge: StubEdge, *tokens: dict[str, object]) -> None:
    edge.answer("GET", "/api/v1/api-tokens", json.dumps({"items": tokens}, default=str).encode())


class TestSettingsPage:
    def test_every_section_shows_the_traders_current_settings(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.answer("GET", "/api/v1/me", a_user(time_zone="Europe/Berlin", base_currency="EUR"))
        tokens_answer(edge, an_api_token(name="cli", scopes=["read", "write"]))

        soup = page(browser.get("/settings"))

        preferences = by_testid(soup, "preferences-form")
        zone = preferences.select_one("option[selected]")
        assert zone is not None
        assert text_of(zone) == "Europe/Berlin"
        assert preferences.select_one("#preferences-base_currency")["value"] == "EUR"  # type: ignore[index]
        assert "Main margin" in text_of(all_by_testid(soup, "account-row")[0])
        assert "read, write" in text_of(all_by_testid(soup, "token-row")[0])
        assert by_testid(soup, "delete-account-link")["href"] == "/settings/delete"

    def test_a_token_list_that_breaks_its_contract_is_a_502(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.answer("GET", "/api/v1/api-tokens", b"[]")

        assert browser.get("/settings").status_code == 502


class TestPreferences:
    def test_saving_sends_a_user_update_and_shows_the_saved_values(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        saved = a_user(time_zone="Asia/Tokyo", base_currency="JPY")
        edge.answer("PATCH", "/api/v1/me", saved)

        response = browser.post(
            "/settings/preferences",
            data={"time_zone": "Asia/Tokyo", "base_currency": "jpy"},
            headers=HTMX,
        )

        assert response.status_code == 200
        sent = json.loads(edge.received("PATCH", "/api/v1/me")[0].body)
        assert sent == {"time_zone": "Asia/Tokyo", "base_currency": "JPY"}
        assert "Preferences saved" in text_of(by_testid(page(response), "settings-notice"))

    def test_an_unknown_time_zone_is_refused_next_to_its_field(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        response = browser.post(
            "/settings/preferences",
            data={"time_zone": "Mars/Olympus", "base_currency": "USD"},
            headers=HTMX,
        )

        assert response.status_code == 422
        error = page(response).select_one("#preferences-time_zone-error")
        assert error is not None
        assert "Choose a time zone" in text_of(error)
        assert edge.received("PATCH", "/api/v1/me") == []


class TestAccounts:
    def test_a_new_account_is_created_and_listed(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        created = an_account(id=uuid.uuid4(), name="Futures", broker="tradovate")
        edge.answer("POST", "/api/v1/accounts", created, status=201)

        response = browser.post(
            "/settings/accounts",
            data={
                "name": "Futures",
                "broker": "tradovate",
                "account_number": "",
                "base_currency": "usd",
                "time_zone": "America/Chicago",
            },
            headers=HTMX,
        )

        assert response.status_code == 200
        sent = json.loads(edge.received("POST", "/api/v1/accounts")[0].body)
        assert (sent["name"], sent["base_currency"], sent["account_number"]) == (
            "Futures",
            "USD",
            None,
        )
        rows = [text_of(row) for row in all_by_testid(page(response), "account-row")]
        assert any(row.startswith("Futures") for row in rows)
        assert edge.received("POST", "/api/v1/accounts")[0].headers["idempotency-key"]

    def test_a_new_account_can_start_with_a_default_stop(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.answer("POST", "/api/v1/accounts", an_account(name="Futures"), status=201)
        form = {"name": "Futures", "broker": "tradovate", "base_currency": "USD"}

        without = browser.post("/settings/accounts", data=form, headers=HTMX)
        with_rule = browser.post(
            "/settings/accounts",
            data=form | {"default_stop_kind": "ticks", "default_stop_distance": "8"},
            headers=HTMX,
        )

        assert (without.status_code, with_rule.status_code) == (200, 200)
        sent = [json.loads(call.body) for call in edge.received("POST", "/api/v1/accounts")]
        assert [body["default_stop"] for body in sent] == [None, {"kind": "ticks", "distance": "8"}]

    def test_a_default_stop_without_its_distance_is_refused_by_field(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        response = browser.post(
            "/settings/accounts",
            data={"name": "Futures", "broker": "tradovate", "default_stop_kind": "points"},
            headers=HTMX,
        )

        assert response.status_code == 422
        soup = page(response)
        assert soup.select_one("#account-default_stop_distance-error") is not None
        chosen = soup.select_one("#account-default_stop_kind option[selected]")
        assert chosen is not None
        assert chosen["value"] == "points"
        assert edge.received("POST", "/api/v1/accounts") == []

    def test_an_account_without_a_name_is_refused_by_field(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        response = browser.post("/settings/accounts", data={"broker": "ibkr"}, headers=HTMX)

        assert response.status_code == 422
        assert page(response).select_one("#account-name-error") is not None
        assert edge.received("POST", "/api/v1/accounts") == []


class TestApiTokens:
    def test_a_created_token_is_shown_once_with_a_copy_hint(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        created = ApiTokenCreated.model_validate(
            {**an_api_token(name="phone", scopes=["read", "write"]), "token": "tl_pat_s3cret"}
        )
        edge.answer("POST", "/api/v1/api-tokens", created, status=201)
        tokens_answer(edge, an_api_token(id=created.id, name="phone"))

        response = browser.post(
            "/settings/api-tokens",
            data={"name": "phone", "scopes": ["read", "write"]},
            headers=HTMX,
        )

        assert response.status_code == 201
        sent = json.loads(edge.received("POST", "/api/v1/api-tokens")[0].body)
        assert sent == {"name": "phone", "scopes": ["read", "write"], "expires_at": None}
        shown = by_testid(page(response), "token-created")
        assert by_testid(shown, "token-secret")["value"] == "tl_pat_s3cret"
        assert "not shown again" in text_of(shown)
        listed = page(browser.get("/settings"))
        assert "tl_pat_s3cret" not in str(listed)

    def test_a_token_without_scopes_is_refused(self, browser: httpx.Client, edge: StubEdge) -> None:
        tokens_answer(edge)

        response = browser.post("/settings/api-tokens", data={"name": "cli"}, headers=HTMX)

        assert response.status_code == 422
        assert "Use at least 1" in text_of(by_testid(page(response), "token-form"))
        assert edge.received("POST", "/api/v1/api-tokens") == []

    def test_revoking_deletes_the_token_at_edge(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        token_id = uuid.uuid4()
        edge.answer("DELETE", f"/api/v1/api-tokens/{token_id}", status=204)
        tokens_answer(edge, an_api_token(id=token_id, revoked_at="2026-03-03T00:00:00Z"))

        response = browser.post(f"/settings/api-tokens/{token_id}/revoke", headers=HTMX)

        assert response.status_code == 200
        assert len(edge.received("DELETE", f"/api/v1/api-tokens/{token_id}")) == 1
        assert "revoked" in text_of(all_by_testid(page(response), "token-row")[0])

    def test_another_traders_token_is_not_found(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        response = browser.post(f"/settings/api-tokens/{uuid.uuid4()}/revoke")

        assert response.status_code == 404
        assert edge.received("GET", "/api/v1/api-tokens") == []


class TestPassword:
    def test_a_password_change_is_sent_exactly_as_typed(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        rotated = "__Host-tradeloop_session=new-id; Path=/; Secure; HttpOnly; SameSite=Lax"
        edge.answer("POST", "/api/v1/auth/password", status=204, set_cookies=[rotated])

        response = browser.post(
            "/settings/password",
            data={"current_password": " old secret 1 ", "new_password": "a much longer one"},
            headers=HTMX,
        )

        sent = json.loads(edge.received("POST", "/api/v1/auth/password")[0].body)
        assert sent == {"current_password": " old secret 1 ", "new_password": "a much longer one"}
        # edge rotated the session id: the new cookie reaches the browser, and a fresh page
        # brings the CSRF token of the new session.
        assert response.status_code == 204
        assert response.headers.get_list("set-cookie") == [rotated]
        assert response.headers["hx-redirect"].startswith("/settings?password=changed")
        assert "old secret" not in response.text

    def test_the_page_after_a_password_change_says_so(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.answer("GET", "/api/v1/me", a_user())
        tokens_answer(edge)

        soup = page(browser.get("/settings", params={"password": "changed"}))

        notice = text_of(by_testid(by_testid(soup, "settings-password"), "settings-notice"))
        assert "Password changed" in notice
        assert "Password changed" not in browser.get("/settings").text

    def test_a_wrong_current_password_is_shown_next_to_it(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        problem = Problem(
            title="Wrong password",
            status=422,
            errors=[{"location": "/current_password", "message": "does not match"}],
        )
        edge.refuse("POST", "/api/v1/auth/password", problem)

        response = browser.post(
            "/settings/password",
            data={"current_password": "nope", "new_password": "a much longer one"},
            headers=HTMX,
        )

        assert response.status_code == 422
        error = page(response).select_one("#password-current_password-error")
        assert error is not None
        assert text_of(error) == "does not match"


class TestDeleteAccount:
    def test_deleting_needs_a_confirmation_step(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        soup = page(browser.get("/settings/delete"))

        form = by_testid(soup, "delete-form")
        assert form.select_one('input[name="confirm"][type="checkbox"]') is not None
        assert "trader@example.com" in text_of(soup)
        assert edge.received("DELETE", "/api/v1/me") == []

    def test_without_the_confirmation_nothing_is_deleted(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        response = browser.post("/settings/delete", data={"password": "secret"}, headers=HTMX)

        assert response.status_code == 422
        assert page(response).select_one("#delete-confirm-error") is not None
        assert edge.received("DELETE", "/api/v1/me") == []

    def test_a_confirmed_deletion_sends_the_password_and_leaves(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        removal = "__Host-tradeloop_session=; Max-Age=0; Path=/; Secure; HttpOnly"
        edge.answer("DELETE", "/api/v1/me", status=204, set_cookies=[removal])

        response = browser.post(
            "/settings/delete", data={"password": "my secret", "confirm": "yes"}, headers=HTMX
        )

        assert response.status_code == 204
        assert response.headers["hx-redirect"] == "/signup"
        assert response.headers["set-cookie"] == removal
        sent = edge.received("DELETE", "/api/v1/me")[0]
        assert json.loads(sent.body) == {"password": "my secret"}

    def test_a_wrong_password_keeps_the_account(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        problem = Problem(
            title="Wrong password",
            status=422,
            errors=[{"location": "/password", "message": "does not match the current password"}],
        )
        edge.refuse("DELETE", "/api/v1/me", problem)

        response = browser.post(
            "/settings/delete", data={"password": "nope", "confirm": "yes"}, headers=HTMX
        )

        assert response.status_code == 422
        error = page(response).select_one("#delete-password-error")
        assert error is not None
        assert "does not match" in text_of(error)


ARCHIVE = b"PK\x03\x04 an archive"


class TestArchive:
    def test_the_settings_page_offers_the_download_and_the_restore(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.answer("GET", "/api/v1/me", a_user())
        tokens_answer(edge)

        soup = page(browser.get("/settings"))

        assert by_testid(soup, "export-link")["href"] == "/settings/export"
        form = by_testid(soup, "archive-form")
        assert form["hx-post"] == "/settings/archive"
        assert form["hx-encoding"] == "multipart/form-data"

    def test_the_download_is_edge_s_archive_as_a_file(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.answer(
            "GET",
            "/api/v1/export",
            ARCHIVE,
            content_type="application/zip",
            headers={"content-disposition": 'attachment; filename="tradeloop-2026-03-02.zip"'},
        )

        response = browser.get("/settings/export")

        assert response.status_code == 200
        assert response.content == ARCHIVE
        assert response.headers["content-type"] == "application/zip"
        assert response.headers["content-disposition"] == (
            'attachment; filename="tradeloop-2026-03-02.zip"'
        )
        assert response.headers["cache-control"] == "private, no-store"

    def test_a_restore_sends_the_file_as_uploaded_and_lists_what_came_back(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.answer(
            "POST",
            "/api/v1/import-archive",
            ArchiveRestoreResult(restored={"accounts": 2, "executions": 120, "insights": 0}),
        )

        response = browser.post(
            "/settings/archive",
            files={"file": ("mine.zip", ARCHIVE, "application/zip")},
            headers=HTMX,
        )

        assert response.status_code == 200
        items = [
            text_of(item) for item in page(response).select("[data-testid=archive-restored] li")
        ]
        assert items == ["accounts: 2", "executions: 120"]
        [call] = edge.received("POST", "/api/v1/import-archive")
        assert ARCHIVE in call.body
        assert call.headers["content-type"].startswith("multipart/form-data")
        assert call.headers["idempotency-key"]

    def test_a_refused_archive_shows_where_it_is_wrong(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.refuse(
            "POST",
            "/api/v1/import-archive",
            Problem(
                title="Account not empty",
                status=409,
                detail="An archive is restored only into an account that holds nothing yet.",
            ),
        )

        response = browser.post(
            "/settings/archive",
            files={"file": ("mine.zip", ARCHIVE, "application/zip")},
            headers=HTMX,
        )

        assert response.status_code == 409
        assert "holds nothing yet" in text_of(by_testid(page(response), "problem"))
