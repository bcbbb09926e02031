import uuid

import httpx
from tradeloop_contracts import Problem, ProblemField

from tests.conftest import CSRF_TOKEN, HTMX, NONCE, SESSION_COOKIE
from tests.factories import (
    a_journal_entry,
    a_journal_page,
    a_png,
    a_position,
    a_position_page,
    an_attachment,
    an_attachment_list,
    statistics,
)
from tests.html import all_by_testid, by_testid, csp_violations, page, text_of
from tests.stub_edge import StubEdge

POSITION_ID = uuid.UUID("5f0c3e2a-9d41-4b7e-8a55-3c2d1e0f9a10")
ENTRY_ID = uuid.UUID("7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d")
EDGE_LIST = f"/api/v1/positions/{POSITION_ID}/attachments"
SECTION = f"/attachments/position/{POSITION_ID}"


def upload(browser: httpx.Client, content: bytes, name: str = "setup.png") -> httpx.Response:
    return browser.post(SECTION, files={"file": (name, content, "image/png")}, headers=HTMX)


class TestScreenshotsSection:
    def test_each_screenshot_is_a_thumbnail_that_opens_the_picture(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        wide = an_attachment(owner_id=POSITION_ID, width=1280, height=800)
        small = an_attachment(owner_id=POSITION_ID, filename="exit.png", width=200, height=90)
        edge.answer("GET", EDGE_LIST, an_attachment_list(wide, small))

        soup = page(browser.get(SECTION, headers=HTMX))

        items = all_by_testid(soup, "attachment")
        assert [text_of(item) for item in items] == ["entry-setup.png Delete", "exit.png Delete"]
        opened = [item.select_one("a") for item in items]
        assert [a["href"] for a in opened if a] == [
            f"{SECTION}/{wide.id}",
            f"{SECTION}/{small.id}",
        ]
        thumbnails = [item.select_one("img") for item in items]
        assert [
            (img["src"], img["alt"], img["width"], img["height"]) for img in thumbnails if img
        ] == [
            (f"{SECTION}/{wide.id}/thumbnail", "entry-setup.png", "320", "200"),
            (f"{SECTION}/{small.id}/thumbnail", "exit.png", "200", "90"),
        ]
        deletes = [item.select_one("form") for item in items]
        assert [form["hx-post"] for form in deletes if form] == [
            f"{SECTION}/{wide.id}/delete",
            f"{SECTION}/{small.id}/delete",
        ]

    def test_without_screenshots_the_section_invites_an_upload(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.answer("GET", EDGE_LIST, an_attachment_list())

        soup = page(browser.get(SECTION, headers=HTMX))

        assert text_of(by_testid(soup, "attachments-empty")) == "No screenshots yet."
        form = by_testid(soup, "attachment-form")
        assert form["hx-encoding"] == "multipart/form-data"
        file_input = form.select_one("input[type=file][name=file]")
        assert file_input is not None
        assert file_input["accept"] == "image/png,image/jpeg,image/webp"
        assert csp_violations(soup, NONCE) == []

    def test_another_traders_position_has_no_screenshots_section(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        response = browser.get(SECTION, headers=HTMX)  # edge answers 404

        assert response.status_code == 404
        assert len(edge.received("GET", EDGE_LIST)) == 1

    def test_the_position_and_journal_day_pages_load_their_screenshots_after_the_page(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        position = a_position(id=POSITION_ID)
        edge.answer("GET", f"/api/v1/positions/{POSITION_ID}", position)
        edge.answer("GET", "/api/v1/journal/entries", a_journal_page())
        day = position.opened_at.date().isoformat()
        entry = a_journal_entry(id=ENTRY_ID, day=day, position_id=None)
        edge.answer("GET", "/api/v1/journal/entries", a_journal_page(entry), when={"day": day})
        edge.answer("GET", "/api/v1/positions", a_position_page(position))
        edge.answer("GET", "/api/v1/statistics", statistics())

        position_page = page(browser.get(f"/positions/{POSITION_ID}"))
        day_page = page(browser.get(f"/journal/{day}"))

        assert by_testid(position_page, "attachments-loader")["hx-get"] == SECTION
        assert by_testid(day_page, "attachments-loader")["hx-get"] == (
            f"/attachments/journal_entry/{ENTRY_ID}"
        )
        assert not any(call.path.endswith("/attachments") for call in edge.requests)

    def test_a_day_without_an_entry_asks_for_the_entry_first(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.answer("GET", "/api/v1/journal/entries", a_journal_page())
        edge.answer("GET", "/api/v1/positions", a_position_page())
        edge.answer("GET", "/api/v1/statistics", statistics())

        soup = page(browser.get("/journal/2026-03-02"))

        assert "Save the day's entry" in text_of(by_testid(soup, "attachments-after-save"))
        assert soup.select('[data-testid="attachments-loader"]') == []


class TestUpload:
    def test_the_picture_is_streamed_to_edge_as_sent_and_the_list_comes_back(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        picture = a_png(64, 48)
        stored = an_attachment(owner_id=POSITION_ID, filename="setup.png", width=64, height=48)
        edge.answer("POST", EDGE_LIST, stored, status=201)
        edge.answer("GET", EDGE_LIST, an_attachment_list(stored))

        response = upload(browser, picture)

        assert response.status_code == 201
        (sent,) = edge.received("POST", EDGE_LIST)
        request = browser.build_request(
            "POST", SECTION, files={"file": ("setup.png", picture, "image/png")}
        )
        assert sent.headers["content-type"].startswith("multipart/form-data; boundary=")
        assert picture in sent.body
        assert len(sent.body) == len(request.read())
        assert sent.headers["cookie"] == SESSION_COOKIE
        assert sent.headers["x-csrf-token"] == CSRF_TOKEN
        assert sent.headers["idempotency-key"]
        assert [text_of(item) for item in all_by_testid(page(response), "attachment")] == [
            "setup.png Delete"
        ]

    def test_a_refused_file_is_explained_next_to_the_form(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        refusal = Problem(
            title="Not a picture",
            status=415,
            detail="Screenshots are PNG, JPEG or WebP pictures.",
            errors=[ProblemField(location="form.file", message="the content is not a picture")],
        )
        edge.refuse("POST", EDGE_LIST, refusal)
        edge.answer("GET", EDGE_LIST, an_attachment_list())

        response = upload(browser, b"%PDF-1.7 not a picture", name="statement.png")

        assert response.status_code == 415
        soup = page(response)
        problem = text_of(by_testid(soup, "problem"))
        assert "Not a picture" in problem
        assert "the content is not a picture" in problem
        assert by_testid(soup, "attachment-form") is not None


class TestOpenAndDelete:
    def test_the_picture_is_relayed_as_core_typed_it_and_never_sniffed(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        attachment_id = uuid.uuid4()
        picture = a_png(8, 8)
        edge.answer(
            "GET",
            f"{EDGE_LIST}/{attachment_id}",
            picture,
            content_type="image/png",
            headers={
                "content-disposition": 'inline; filename="setup.png"',
                "set-cookie": "edge-only=1",
            },
        )

        response = browser.get(f"{SECTION}/{attachment_id}")

        assert response.status_code == 200
        assert response.content == picture
        assert response.headers["content-type"] == "image/png"
        assert response.headers["content-disposition"] == 'inline; filename="setup.png"'
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "set-cookie" not in response.headers
        (sent,) = edge.received("GET", f"{EDGE_LIST}/{attachment_id}")
        assert sent.headers["accept"] == "image/*"

    def test_a_thumbnail_comes_from_edges_thumbnail_route(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        attachment_id = uuid.uuid4()
        thumbnail = a_png(4, 4)
        edge.answer(
            "GET",
            f"{EDGE_LIST}/{attachment_id}/thumbnail",
            thumbnail,
            content_type="image/png",
        )

        response = browser.get(f"{SECTION}/{attachment_id}/thumbnail")

        assert response.content == thumbnail
        assert response.headers["content-type"] == "image/png"

    def test_another_traders_picture_is_not_found(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        attachment_id = uuid.uuid4()

        response = browser.get(f"{SECTION}/{attachment_id}")  # edge answers 404

        assert response.status_code == 404
        assert len(edge.received("GET", f"{EDGE_LIST}/{attachment_id}")) == 1
        assert response.headers["content-type"].startswith("text/html")

    def test_a_deleted_screenshot_leaves_the_list(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        kept = an_attachment(owner_id=POSITION_ID, filename="kept.png")
        gone = uuid.uuid4()
        edge.answer("DELETE", f"{EDGE_LIST}/{gone}", status=204)
        edge.answer("GET", EDGE_LIST, an_attachment_list(kept))

        response = browser.post(f"{SECTION}/{gone}/delete", headers=HTMX)

        assert response.status_code == 200
        assert len(edge.received("DELETE", f"{EDGE_LIST}/{gone}")) == 1
        items = all_by_testid(page(response), "attachment")
        assert [text_of(item) for item in items] == ["kept.png Delete"]

    def test_deleting_one_already_gone_shows_the_list_as_it_is(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.answer("GET", EDGE_LIST, an_attachment_list())

        response = browser.post(f"{SECTION}/{uuid.uuid4()}/delete", headers=HTMX)

        assert response.status_code == 200
        assert "No screenshots yet." in response.text

    def test_an_unknown_owner_kind_is_not_found(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        response = browser.get(f"/attachments/account/{POSITION_ID}")

        assert response.status_code == 404
        assert edge.requests == []
