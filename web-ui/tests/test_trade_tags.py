import json
import uuid

import httpx
from tradeloop_contracts import Problem

from tests.conftest import HTMX
from tests.demo import serve_demo
from tests.factories import a_position
from tests.html import all_by_testid, by_testid, page, text_of
from tests.stub_edge import StubEdge
from web_ui.trade_tags import retagged


class TestRetagged:
    def test_a_new_tag_is_added_at_the_end(self) -> None:
        assert retagged(["breakout"], "fomo", "add") == ["breakout", "fomo"]

    def test_a_tag_already_there_in_any_case_is_not_added_again(self) -> None:
        assert retagged(["Breakout"], "breakout", "add") == ["Breakout"]

    def test_removal_matches_any_case(self) -> None:
        assert retagged(["FOMO", "breakout"], "fomo", "remove") == ["breakout"]

    def test_removing_a_missing_tag_changes_nothing(self) -> None:
        assert retagged(["breakout"], "fomo", "remove") == ["breakout"]


def serve(edge: StubEdge, tags: list[str], patched: list[str] | None = None) -> uuid.UUID:
    position = a_position(tags=tags)
    edge.answer("GET", f"/api/v1/positions/{position.id}", position)
    if patched is not None:
        changed = position.model_copy(update={"tags": patched})
        edge.answer("PATCH", f"/api/v1/positions/{position.id}", changed)
    return position.id


class TestBulkTagging:
    def test_the_tag_is_patched_onto_each_selected_position_that_lacks_it(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        first = serve(edge, [], patched=["fomo"])
        second = serve(edge, ["breakout"], patched=["breakout", "fomo"])
        already = serve(edge, ["FOMO"])

        response = browser.post(
            "/trades/tags",
            data={
                "tag": " fomo ",
                "action": "add",
                "position_id": [str(first), str(second), str(already)],
            },
            headers=HTMX,
        )

        assert response.status_code == 200
        soup = page(response)
        assert text_of(by_testid(soup, "bulk-tags-result")).startswith(
            "Tag “fomo” applied to 2 positions; 1 already had it."
        )
        assert json.loads(edge.received("PATCH", f"/api/v1/positions/{first}")[0].body) == {
            "tags": ["fomo"]
        }
        assert json.loads(edge.received("PATCH", f"/api/v1/positions/{second}")[0].body) == {
            "tags": ["breakout", "fomo"]
        }
        assert edge.received("PATCH", f"/api/v1/positions/{already}") == []
        oob = soup.find_all("td", attrs={"hx-swap-oob": "true"})
        assert all(cell.parent is not None and cell.parent.name == "template" for cell in oob)
        cells = {cell["id"]: cell.decode_contents() for cell in oob}
        assert cells == {f"tags-{first}": "fomo", f"tags-{second}": "breakout, fomo"}

    def test_a_tag_is_removed_from_the_selected_positions(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        tagged = serve(edge, ["fomo", "breakout"], patched=["breakout"])

        response = browser.post(
            "/trades/tags",
            data={"tag": "FOMO", "action": "remove", "position_id": str(tagged)},
            headers=HTMX,
        )

        assert "Tag “FOMO” removed from 1 position." in text_of(page(response))
        [call] = edge.received("PATCH", f"/api/v1/positions/{tagged}")
        assert json.loads(call.body) == {"tags": ["breakout"]}

    def test_each_patch_has_its_own_idempotency_key_derived_from_the_browsers(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        ids = [serve(edge, [], patched=["x"]) for _ in range(3)]

        browser.post(
            "/trades/tags",
            data={"tag": "x", "action": "add", "position_id": [str(i) for i in ids]},
            headers={**HTMX, "idempotency-key": "bulk-1"},
        )

        keys = {
            edge.received("PATCH", f"/api/v1/positions/{i}")[0].headers["idempotency-key"]
            for i in ids
        }
        assert keys == {f"bulk-1:{i}" for i in ids}

    def test_a_foreign_position_is_reported_and_the_others_still_change(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        mine = serve(edge, [], patched=["fomo"])
        foreign = uuid.uuid4()

        response = browser.post(
            "/trades/tags",
            data={"tag": "fomo", "action": "add", "position_id": [str(foreign), str(mine)]},
            headers=HTMX,
        )

        result = text_of(by_testid(page(response), "bulk-tags-result"))
        assert "applied to 1 position" in result
        assert f"position {foreign}: not found" in result
        assert len(edge.received("PATCH", f"/api/v1/positions/{mine}")) == 1

    def test_a_refused_patch_is_named_in_the_outcome(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        position = serve(edge, [])
        edge.refuse(
            "PATCH",
            f"/api/v1/positions/{position}",
            Problem(title="Unprocessable Content", status=422, detail="Too many tags"),
        )

        response = browser.post(
            "/trades/tags",
            data={"tag": "fomo", "action": "add", "position_id": str(position)},
            headers=HTMX,
        )

        assert "Too many tags" in text_of(page(response))

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
        edge.refuse(
            "GET", f"/api/v1/positions/{position}", Problem(title="Unauthorized", status=401)
        )

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
