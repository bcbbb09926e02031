import json
import uuid

import httpx
from tradeloop_contracts import Problem

from tests.conftest import HTMX
from tests.demo import serve_demo
from tests.factories import a_position, a_position_page
from tests.html import all_by_testid, by_testid, page, text_of
from tests.stub_edge import StubEdge

TAGS = "/api/v1/positions/tags"


def post(browser: httpx.Client, **form: object) -> httpx.Response:
    return browser.post("/trades/tags", data=form, headers=HTMX)


class TestBulkTagging:
    def test_one_change_is_sent_for_every_selected_position_and_their_cells_follow(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        first, second = a_position(tags=["fomo"]), a_position(tags=["breakout", "fomo"])
        edge.answer("POST", TAGS, a_position_page(first, second))

        response = post(
            browser, tag=" fomo ", action="add", position_id=[str(first.id), str(second.id)]
        )

        assert response.status_code == 200
        [call] = edge.received("POST", TAGS)
        assert json.loads(call.body) == {
            "position_ids": [str(first.id), str(second.id)],
            "add": ["fomo"],
            "remove": [],
        }
        soup = page(response)
        assert text_of(by_testid(soup, "bulk-tags-result")) == "Tag “fomo” applied to 2 positions."
        oob = soup.find_all("td", attrs={"hx-swap-oob": "true"})
        assert all(cell.parent is not None and cell.parent.name == "template" for cell in oob)
        cells = {cell["id"]: cell.decode_contents() for cell in oob}
        assert cells == {f"tags-{first.id}": "fomo", f"tags-{second.id}": "breakout, fomo"}

    def test_a_tag_is_removed_from_the_selected_positions(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        tagged = a_position(tags=["breakout"])
        edge.answer("POST", TAGS, a_position_page(tagged))

        response = post(browser, tag="FOMO", action="remove", position_id=str(tagged.id))

        assert "Tag “FOMO” removed from 1 position." in text_of(page(response))
        [call] = edge.received("POST", TAGS)
        assert json.loads(call.body)["remove"] == ["FOMO"]

    def test_a_browser_retry_sends_the_same_idempotency_key(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.answer("POST", TAGS, a_position_page())
        position = str(uuid.uuid4())

        for _ in range(2):
            browser.post(
                "/trades/tags",
                data={"tag": "x", "action": "add", "position_id": position},
                headers={**HTMX, "idempotency-key": "bulk-1"},
            )

        keys = [call.headers["idempotency-key"] for call in edge.received("POST", TAGS)]
        assert keys == ["bulk-1", "bulk-1"]

    def test_a_position_that_is_not_the_traders_changes_nothing(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.refuse("POST", TAGS, Problem(title="Not Found", status=404))

        response = post(browser, tag="fomo", action="add", position_id=str(uuid.uuid4()))

        assert response.status_code == 404
        assert "nothing was changed" in text_of(by_testid(page(response), "bulk-tags-result"))
        assert 'hx-swap-oob="true"' not in response.text

    def test_a_refused_change_is_named_in_the_outcome(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.refuse(
            "POST",
            TAGS,
            Problem(title="Unprocessable Content", status=422, detail="Too many tags."),
        )

        response = post(browser, tag="fomo", action="add", position_id=str(uuid.uuid4()))

        assert response.status_code == 422
        assert "Too many tags. Nothing was changed." in text_of(page(response))

    def test_nothing_selected_is_refused_without_asking_edge(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        response = browser.post("/trades/tags", data={"tag": "fomo", "action": "add"}, headers=HTMX)

        assert response.status_code == 422
        assert "Select at least one position" in text_of(page(response))
        assert edge.requests == []

    def test_a_blank_or_overlong_tag_is_refused(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        for tag, message in [("  ", "Enter the tag"), ("x" * 51, "at most 50 characters")]:
            response = browser.post(
                "/trades/tags",
                data={"tag": tag, "action": "add", "position_id": str(uuid.uuid4())},
                headers=HTMX,
            )
            assert response.status_code == 422
            assert message in text_of(page(response))
        assert edge.requests == []

    def test_a_malformed_id_is_refused(self, browser: httpx.Client, edge: StubEdge) -> None:
        response = browser.post(
            "/trades/tags",
            data={"tag": "x", "action": "add", "position_id": "../me"},
            headers=HTMX,
        )

        assert response.status_code == 422
        assert edge.requests == []

    def test_an_ended_session_goes_to_the_log_in_page(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        position = uuid.uuid4()
        edge.refuse("POST", TAGS, Problem(title="Unauthorized", status=401))

        response = browser.post(
            "/trades/tags",
            data={"tag": "x", "action": "add", "position_id": str(position)},
            headers=HTMX,
        )

        assert response.headers["hx-redirect"] == "/login"


class TestTradesTableSelection:
    def test_each_row_has_a_labelled_checkbox_for_the_bulk_form(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        serve_demo(edge, rows=3)

        soup = page(browser.get("/trades"))

        boxes = all_by_testid(soup, "select-position")
        assert len(boxes) == 3
        assert all(box["form"] == "bulk-tags-form" for box in boxes)
        assert all(str(box["aria-label"]).startswith("Select ") for box in boxes)
        assert by_testid(soup, "bulk-tags-form")["hx-post"] == "/trades/tags"
