import json
import uuid
from decimal import Decimal

import httpx
import pytest
from bs4 import Tag
from tradeloop_contracts import PositionBars, Problem, ProblemField

from tests.conftest import CSRF_TOKEN, HTMX, NONCE, SESSION_COOKIE
from tests.factories import (
    CLOSED,
    a_journal_entry,
    a_journal_page,
    a_position,
    a_position_bars,
    an_execution,
)
from tests.html import (
    all_by_testid,
    by_testid,
    csp_violations,
    page,
    run_together_attributes,
    text_of,
)
from tests.stub_edge import StubEdge
from web_ui.positions import typed_tags


def serve_position(edge: StubEdge, **overrides: object) -> uuid.UUID:
    position = a_position(**overrides)
    edge.answer("GET", f"/api/v1/positions/{position.id}", position)
    edge.answer(
        "GET",
        "/api/v1/journal/entries",
        a_journal_page(a_journal_entry(position_id=position.id)),
    )
    return position.id


class TestPositionPage:
    def test_the_position_numbers_are_shown(self, browser: httpx.Client, edge: StubEdge) -> None:
        position_id = serve_position(edge)

        numbers = text_of(
            by_testid(page(browser.get(f"/positions/{position_id}")), "position-numbers")
        )

        assert "Average entry 187.25" in numbers
        assert "Average exit 189.1" in numbers
        assert "Gross P&L +185.00 USD" in numbers
        assert "Fees 2.04 USD" in numbers
        assert "Net P&L +182.96 USD" in numbers
        assert "Holding time 2h 15m" in numbers
        assert "R multiple 1.83R" in numbers

    def test_r_is_left_out_when_the_position_has_no_initial_stop(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        position_id = serve_position(edge, initial_stop=None, r_multiple=None)

        soup = page(browser.get(f"/positions/{position_id}"))

        assert soup.select_one('[data-testid="position-r"]') is None

    def test_every_execution_is_a_row(self, browser: httpx.Client, edge: StubEdge) -> None:
        position_id = serve_position(edge)

        rows = all_by_testid(page(browser.get(f"/positions/{position_id}")), "execution-row")

        # The last cell holds the fill's edit form and delete button (tests/test_manual_entry.py).
        assert [" ".join(text_of(cell) for cell in row.select("td")[:-1]) for row in rows] == [
            "2026-03-02 14:30 UTC buy 100 187.25 1 0.02 reported imported",
            "2026-03-02 16:45 UTC sell 100 189.1 1 0.02 reported imported",
        ]

    def test_each_execution_says_whether_its_costs_were_reported_or_scheduled(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        position_id = uuid.uuid4()
        free = {"commission": Decimal("0"), "fees": Decimal("0")}
        executions = [
            an_execution(position_id, commission=Decimal("0.65"), fee_source="schedule"),
            an_execution(position_id, executed_at=CLOSED, side="sell", fee_source="none", **free),
        ]
        serve_position(edge, id=position_id, executions=executions)

        page_soup = page(browser.get(f"/positions/{position_id}"))

        sources = all_by_testid(page_soup, "execution-fee-source")
        assert [text_of(cell) for cell in sources] == ["fee schedule", "none known"]

    def test_journal_entries_of_the_position_are_rendered_from_markdown(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        position_id = serve_position(edge)

        entries = by_testid(page(browser.get(f"/positions/{position_id}")), "journal-entries")

        strong = entries.select_one(".markdown strong")
        assert strong is not None
        assert strong.get_text() == "retest"
        assert "mood 4/5" in text_of(entries)
        [call] = edge.received("GET", "/api/v1/journal/entries")
        assert call.query == {"position_id": str(position_id)}

    def test_a_script_in_a_journal_body_is_neutralised(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        position = a_position()
        hostile = (
            "<script>alert('x')</script>\n\n"
            "[click](javascript:alert(1)) <img src=x onerror=alert(1)>\n\n"
            '<a href="https://example.com" onclick="steal()">link</a>'
        )
        edge.answer("GET", f"/api/v1/positions/{position.id}", position)
        edge.answer("GET", "/api/v1/journal/entries", a_journal_page(a_journal_entry(body=hostile)))

        entries = by_testid(page(browser.get(f"/positions/{position.id}")), "journal-entries")

        assert entries.find("script") is None
        assert entries.find("img") is None
        for tag in entries.find_all(True):
            assert isinstance(tag, Tag)
            assert not [name for name in tag.attrs if name.startswith("on")]
            assert not str(tag.get("href", "")).startswith("javascript:")
        assert "<script>alert('x')</script>" in entries.get_text()

    def test_an_unknown_or_foreign_position_is_not_found(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        foreign = uuid.uuid4()
        edge.refuse("GET", f"/api/v1/positions/{foreign}", Problem(title="Not Found", status=404))
        edge.answer("GET", "/api/v1/journal/entries", a_journal_page())

        response = browser.get(f"/positions/{foreign}")

        assert response.status_code == 404
        assert "Not found" in text_of(by_testid(page(response), "problem"))

    def test_a_malformed_position_id_is_not_found_without_asking_edge(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        response = browser.get("/positions/not-a-uuid")

        assert response.status_code == 404
        assert edge.requests == []


class TestReflectionForm:
    def test_a_reflection_is_saved_through_edge_and_swapped_in(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        position_id = uuid.uuid4()
        saved = a_journal_entry(position_id=position_id, body="Held *too* long.", mood=2)
        edge.answer("POST", "/api/v1/journal/entries", saved, status=201)

        response = browser.post(
            f"/positions/{position_id}/journal",
            data={"body": "Held *too* long.", "mood": "2"},
            headers=HTMX,
        )

        assert response.status_code == 201
        soup = page(response)
        entry = by_testid(soup, "journal-entry")
        assert entry.select_one(".markdown em") is not None
        assert "mood 2/5" in text_of(entry)
        fresh_form = by_testid(soup, "journal-form")
        assert fresh_form["hx-swap-oob"] == "true"
        textarea = fresh_form.find("textarea")
        assert textarea is not None
        assert textarea.get_text() == ""
        [call] = edge.received("POST", "/api/v1/journal/entries")
        assert json.loads(call.body) == {
            "day": None,
            "position_id": str(position_id),
            "body": "Held *too* long.",
            "mood": 2,
            "tags": [],
        }
        assert call.headers["content-type"] == "application/json"
        assert call.headers["cookie"] == SESSION_COOKIE
        assert call.headers["x-csrf-token"] == CSRF_TOKEN

    def test_a_mood_outside_one_to_five_is_refused_next_to_the_field(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        response = browser.post(
            f"/positions/{uuid.uuid4()}/journal",
            data={"body": "Fine.", "mood": "9"},
            headers=HTMX,
        )

        assert response.status_code == 422
        assert response.headers["hx-retarget"] == "#journal-form"
        form = by_testid(page(response), "journal-form")
        assert "Use 5 or less" in text_of(form)
        textarea = form.find("textarea")
        assert textarea is not None
        assert textarea.get_text() == "Fine."
        assert edge.requests == []

    def test_an_empty_reflection_is_refused(self, browser: httpx.Client, edge: StubEdge) -> None:
        response = browser.post(
            f"/positions/{uuid.uuid4()}/journal", data={"body": "   "}, headers=HTMX
        )

        assert response.status_code == 422
        assert "Write something" in text_of(by_testid(page(response), "journal-form"))
        assert edge.requests == []

    def test_a_refusal_by_edge_is_shown_in_the_form(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        refusal = Problem(
            title="Unprocessable Content",
            status=422,
            errors=[ProblemField(location="/body", message="Too long for one entry")],
        )
        edge.refuse("POST", "/api/v1/journal/entries", refusal)

        response = browser.post(
            f"/positions/{uuid.uuid4()}/journal", data={"body": "Text"}, headers=HTMX
        )

        assert response.status_code == 422
        assert "Too long for one entry" in text_of(by_testid(page(response), "journal-form"))

    def test_an_unreachable_edge_keeps_the_reflection_in_the_form(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.refuse("POST", "/api/v1/journal/entries", Problem(title="Down", status=503))

        response = browser.post(
            f"/positions/{uuid.uuid4()}/journal", data={"body": "Keep me"}, headers=HTMX
        )

        assert response.status_code == 502
        assert response.headers["hx-retarget"] == "#journal-form"
        form = by_testid(page(response), "journal-form")
        assert "Not saved" in text_of(form)
        textarea = form.find("textarea")
        assert textarea is not None
        assert textarea.get_text() == "Keep me"

    def test_a_browser_retry_keeps_its_idempotency_key(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        position_id = uuid.uuid4()
        edge.answer(
            "POST", "/api/v1/journal/entries", a_journal_entry(position_id=position_id), status=201
        )

        for _ in range(2):
            browser.post(
                f"/positions/{position_id}/journal",
                data={"body": "Same words"},
                headers={**HTMX, "idempotency-key": "form-7"},
            )

        keys = [
            call.headers["idempotency-key"]
            for call in edge.received("POST", "/api/v1/journal/entries")
        ]
        assert keys == ["form-7", "form-7"]


class TestPriceChart:
    def test_the_bars_and_fills_are_handed_to_the_chart_script(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        position_id = serve_position(edge)
        edge.answer("GET", f"/api/v1/positions/{position_id}/bars", a_position_bars(["187.0"] * 12))

        soup = page(browser.get(f"/positions/{position_id}"))

        figure = by_testid(soup, "price-chart")
        container = figure.select_one("[data-price-chart]")
        assert container is not None
        assert container["role"] == "img"
        source = soup.find("script", id=container["data-price-chart"])
        assert isinstance(source, Tag)
        assert source["type"] == "application/json"
        data = json.loads(source.get_text())
        assert len(data["bars"]) == 12
        assert [marker["text"] for marker in data["markers"]] == ["Entry buy 100", "Exit sell 100"]
        scripts = [str(tag.get("src")) for tag in soup.find_all("script") if tag.get("src")]
        assert "/static/vendor/lightweight-charts-5.2.1.standalone.production.js" in scripts
        assert "/static/position_chart.js" in scripts
        assert "tradingview.com" in str(figure.select_one("figcaption a"))
        assert csp_violations(soup, NONCE) == []

    def test_a_long_history_is_drawn_in_fewer_longer_candles_and_says_so(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        position_id = serve_position(edge)
        bars = a_position_bars(["187.0"] * 2_000, interval="1m", position_id=position_id)
        edge.answer("GET", f"/api/v1/positions/{position_id}/bars", bars)

        soup = page(browser.get(f"/positions/{position_id}"))

        assert text_of(by_testid(soup, "bars-merged")) == (
            "2000 bars of 1 minute drawn as 400 candles of 5 minutes"
        )
        source = soup.find("script", id="price-chart-data")
        assert isinstance(source, Tag)
        assert len(json.loads(source.get_text())["bars"]) == 400

    def test_without_bars_the_page_says_so_and_loads_no_chart(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        position_id = serve_position(edge)

        soup = page(browser.get(f"/positions/{position_id}"))

        assert "No price bars for this position yet" in text_of(
            by_testid(soup, "price-chart-empty")
        )
        assert soup.select_one('[data-testid="price-chart"]') is None
        assert "lightweight-charts" not in str(soup)
        [call] = edge.received("GET", f"/api/v1/positions/{position_id}/bars")
        assert call.headers["cookie"] == SESSION_COOKIE

    def test_an_empty_series_is_the_same_empty_state(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        position_id = serve_position(edge)
        edge.answer(
            "GET",
            f"/api/v1/positions/{position_id}/bars",
            PositionBars(
                symbol="AAPL", interval="1m", bars=[], position_id=position_id, complete=False
            ),
        )

        soup = page(browser.get(f"/positions/{position_id}"))

        by_testid(soup, "price-chart-empty")

    def test_mae_and_mfe_are_shown_when_known(self, browser: httpx.Client, edge: StubEdge) -> None:
        position_id = serve_position(edge, mae=Decimal("-45.00"), mfe=Decimal("230.00"))

        soup = page(browser.get(f"/positions/{position_id}"))

        assert "-45.00 USD" in text_of(by_testid(soup, "position-mae"))
        assert "+230.00 USD" in text_of(by_testid(soup, "position-mfe"))

    def test_mae_and_mfe_are_left_out_when_unknown(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        soup = page(browser.get(f"/positions/{serve_position(edge)}"))

        assert soup.select_one('[data-testid="position-mae"]') is None
        assert soup.select_one('[data-testid="position-mfe"]') is None


class TestPositionBars:
    def test_bars_that_do_not_cover_the_holding_are_said_so(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        position_id = serve_position(edge, mae=Decimal("-45.00"), mae_price=Decimal("186.80"))
        own = a_position_bars(["187.0"] * 12, position_id=position_id, complete=False)
        edge.answer("GET", f"/api/v1/positions/{position_id}/bars", own)

        soup = page(browser.get(f"/positions/{position_id}"))

        assert "whole time the position was held" in text_of(by_testid(soup, "bars-incomplete"))
        assert "-45.00 USD at 186.8" in text_of(by_testid(soup, "position-mae"))
        data = soup.find("script", id="price-chart-data")
        assert isinstance(data, Tag)
        assert json.loads(data.get_text())["lines"] == [
            {"price": 186.8, "title": "MAE", "color": "#b3261e"}
        ]


class TestTypedTags:
    def test_tags_are_trimmed_blanks_dropped_and_each_kept_once_in_its_first_spelling(
        self,
    ) -> None:
        assert typed_tags(" breakout, FOMO ,, fomo,late entry ,") == [
            "breakout",
            "FOMO",
            "late entry",
        ]

    def test_nothing_typed_is_no_tags(self) -> None:
        assert typed_tags("  , ") == []

    def test_a_tag_longer_than_core_takes_is_named(self) -> None:
        with pytest.raises(ValueError, match="longer than 50 characters"):
            typed_tags("ok, " + "x" * 51)

    def test_more_tags_than_core_takes_are_refused(self) -> None:
        with pytest.raises(ValueError, match="at most 50 tags; these are 51"):
            typed_tags(",".join(f"t{i}" for i in range(51)))


class TestPositionTags:
    def test_the_page_shows_the_tags_and_a_form_holding_them(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        position_id = serve_position(edge, tags=["breakout", "A+ setup"])

        section = by_testid(page(browser.get(f"/positions/{position_id}")), "position-tags")

        assert text_of(by_testid(section, "tag-list")) == "breakout, A+ setup"
        form = by_testid(section, "position-tags-form")
        assert form["hx-post"] == f"/positions/{position_id}/tags"
        field = form.find("input", id="position-tags-input")
        assert isinstance(field, Tag)
        assert field["value"] == "breakout, A+ setup"
        assert run_together_attributes(page(browser.get(f"/positions/{position_id}"))) == []

    def test_saving_patches_only_the_tags_and_shows_what_core_kept(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        position_id = uuid.uuid4()
        saved = a_position(id=position_id, tags=["breakout", "fomo"])
        edge.answer("PATCH", f"/api/v1/positions/{position_id}", saved)

        response = browser.post(
            f"/positions/{position_id}/tags",
            data={"tags": "breakout, fomo, FOMO", "shown": ["breakout"]},
            headers={**HTMX, "idempotency-key": "tags-1"},
        )

        assert response.status_code == 200
        [call] = edge.received("PATCH", f"/api/v1/positions/{position_id}")
        assert json.loads(call.body) == {"tags": ["breakout", "fomo"]}
        assert call.headers["idempotency-key"] == "tags-1"
        assert call.headers["x-csrf-token"] == CSRF_TOKEN
        section = page(response)
        assert text_of(by_testid(section, "tag-list")) == "breakout, fomo"
        assert text_of(by_testid(section, "tags-notice")) == "Tags saved."

    def test_an_empty_field_removes_every_tag(self, browser: httpx.Client, edge: StubEdge) -> None:
        position_id = uuid.uuid4()
        edge.answer(
            "PATCH", f"/api/v1/positions/{position_id}", a_position(id=position_id, tags=[])
        )

        response = browser.post(
            f"/positions/{position_id}/tags", data={"tags": "", "shown": ["fomo"]}, headers=HTMX
        )

        [call] = edge.received("PATCH", f"/api/v1/positions/{position_id}")
        assert json.loads(call.body) == {"tags": []}
        by_testid(page(response), "no-tags")

    def test_a_tag_too_long_is_refused_next_to_the_field_before_edge_is_asked(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        typed = "breakout, " + "x" * 60

        response = browser.post(
            f"/positions/{uuid.uuid4()}/tags",
            data={"tags": typed, "shown": ["breakout"]},
            headers=HTMX,
        )

        assert response.status_code == 422
        soup = page(response)
        error = soup.find(id="position-tags-error")
        assert error is not None
        assert "longer than 50 characters" in error.get_text()
        field = soup.find("input", id="position-tags-input")
        assert isinstance(field, Tag)
        assert field["value"] == typed
        assert field["aria-invalid"] == "true"
        assert text_of(by_testid(soup, "tag-list")) == "breakout"
        assert edge.requests == []

    def test_a_refusal_by_edge_is_shown_next_to_the_field(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        position_id = uuid.uuid4()
        refusal = Problem(
            title="Unprocessable Content",
            status=422,
            errors=[ProblemField(location="body.tags.0", message="Tags cannot contain commas")],
        )
        edge.refuse("PATCH", f"/api/v1/positions/{position_id}", refusal)

        response = browser.post(
            f"/positions/{position_id}/tags", data={"tags": "fine"}, headers=HTMX
        )

        assert response.status_code == 422
        error = page(response).find(id="position-tags-error")
        assert error is not None
        assert error.get_text() == "Tags cannot contain commas"

    def test_another_traders_position_is_not_found(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        position_id = uuid.uuid4()
        edge.refuse(
            "PATCH", f"/api/v1/positions/{position_id}", Problem(title="Not Found", status=404)
        )

        response = browser.post(f"/positions/{position_id}/tags", data={"tags": "x"}, headers=HTMX)

        assert response.status_code == 404
