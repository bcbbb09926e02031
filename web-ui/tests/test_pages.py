"""Every page as a browser under edge's nonce-based CSP receives it."""

import json
import uuid

import httpx
import pytest
from bs4 import Tag

from tests.conftest import CSRF_TOKEN, HTMX, NONCE
from tests.demo import DAY, PLAYBOOK, serve_demo
from tests.factories import (
    a_dashboard,
    a_journal_entry,
    a_journal_page,
    a_position,
    an_account,
    an_account_list,
    an_import,
    an_import_page,
)
from tests.html import csp_violations, hx_headers, page, run_together_attributes
from tests.stub_edge import StubEdge

POSITION = a_position()
IMPORT = an_import()


def serve_everything(edge: StubEdge) -> None:
    serve_demo(edge)
    edge.answer("GET", "/api/v1/dashboard", a_dashboard())
    edge.answer("GET", f"/api/v1/positions/{POSITION.id}", POSITION)
    edge.answer(
        "GET",
        "/api/v1/journal/entries",
        a_journal_page(a_journal_entry(body="<b onclick='x()'>bold</b> `code`")),
    )
    edge.answer("GET", "/api/v1/accounts", an_account_list(an_account()))
    edge.answer("GET", "/api/v1/imports", an_import_page(IMPORT))
    edge.answer("GET", f"/api/v1/imports/{IMPORT.id}", IMPORT)


PAGES = [
    "/login",
    "/signup",
    "/",
    f"/positions/{POSITION.id}",
    "/imports",
    f"/imports/{IMPORT.id}",
    f"/positions/{uuid.uuid4()}",
    "/trades",
    f"/days/{DAY}",
    "/journal",
    f"/journal/{DAY}",
    "/settings",
    "/settings/delete",
    "/playbooks",
    f"/playbooks/{PLAYBOOK}",
]


@pytest.mark.parametrize("path", PAGES)
class TestEveryPage:
    def test_every_script_carries_the_nonce_and_nothing_inline_exists(
        self, browser: httpx.Client, edge: StubEdge, path: str
    ) -> None:
        serve_everything(edge)

        soup = page(browser.get(path))

        assert soup.find("script") is not None
        assert csp_violations(soup, NONCE) == []

    def test_no_attribute_runs_into_the_next(
        self, browser: httpx.Client, edge: StubEdge, path: str
    ) -> None:
        serve_everything(edge)

        assert run_together_attributes(page(browser.get(path))) == []

    def test_htmx_requests_carry_the_csrf_token(
        self, browser: httpx.Client, edge: StubEdge, path: str
    ) -> None:
        serve_everything(edge)

        soup = page(browser.get(path))

        assert hx_headers(soup) == {"X-CSRF-Token": CSRF_TOKEN}

    def test_htmx_is_configured_to_need_no_eval_and_inject_no_styles(
        self, browser: httpx.Client, edge: StubEdge, path: str
    ) -> None:
        serve_everything(edge)

        soup = page(browser.get(path))

        meta = soup.select_one('meta[name="htmx-config"]')
        assert meta is not None
        config = json.loads(str(meta["content"]))
        assert config["allowEval"] is False
        assert config["includeIndicatorStyles"] is False

    def test_the_page_has_landmarks_and_is_never_cached(
        self, browser: httpx.Client, edge: StubEdge, path: str
    ) -> None:
        serve_everything(edge)

        response = browser.get(path)

        soup = page(response)
        assert response.headers["cache-control"] == "no-store"
        for landmark in ("header", "main", "footer"):
            assert isinstance(soup.find(landmark), Tag)
        html = soup.find("html")
        assert isinstance(html, Tag)
        assert html["lang"] == "en"


@pytest.mark.parametrize(
    ("path", "form", "field"),
    [
        ("/signup", {"email": "new@example.com", "password": "short"}, "signup-password"),
        ("/login", {"email": "not an email", "password": "whatever it is"}, "login-email"),
    ],
)
def test_a_refused_required_field_is_marked_invalid_and_described_by_its_error(
    browser: httpx.Client, path: str, form: dict[str, str], field: str
) -> None:
    soup = page(browser.post(path, data=form, headers=HTMX))

    assert run_together_attributes(soup) == []
    refused = soup.find("input", id=field)
    assert isinstance(refused, Tag)
    assert refused.has_attr("required")
    assert refused["aria-invalid"] == "true"
    assert refused["aria-describedby"] == f"{field}-error"
    assert soup.find(id=f"{field}-error") is not None


def test_a_csrf_token_that_tries_to_break_out_of_the_attribute_stays_inside(
    browser: httpx.Client,
) -> None:
    hostile = "x'><script>alert(1)</script>"

    soup = page(browser.get("/login", headers={"x-csrf-token": hostile}))

    assert hx_headers(soup) == {"X-CSRF-Token": hostile}
    assert csp_violations(soup, NONCE) == []


def test_signed_in_pages_load_the_live_update_script(browser: httpx.Client, edge: StubEdge) -> None:
    serve_everything(edge)

    scripts = [
        tag.get("src") for tag in page(browser.get("/")).find_all("script") if isinstance(tag, Tag)
    ]

    assert "/static/live.js" in scripts


def test_an_unknown_address_is_a_not_found_page(browser: httpx.Client) -> None:
    response = browser.get("/no/such/page")

    assert response.status_code == 404
    assert "Not found" in response.text
