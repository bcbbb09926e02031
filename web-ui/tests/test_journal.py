import json
import uuid

import httpx
from tradeloop_contracts import Problem

from tests.conftest import HTMX
from tests.factories import (
    a_calendar,
    a_journal_entry,
    a_journal_page,
    a_position,
    a_position_page,
    statistics,
)
from tests.html import all_by_testid, by_testid, page, text_of
from tests.stub_edge import StubEdge
from web_ui.journal import compose, split

MARCH = {"start": "2026-03-01", "end": "2026-03-31"}


def day_answers(edge: StubEdge, *entries: object) -> None:
    edge.answer("GET", "/api/v1/statistics", statistics(**a_calendar(("2026-03-02", "40", 2))))
    edge.answer("GET", "/api/v1/journal/entries", a_journal_page(*entries))  # type: ignore[arg-type]
    edge.answer("GET", "/api/v1/positions", a_position_page(a_position()))


class TestPrompts:
    def test_answered_prompts_become_headed_sections_of_the_body(self) -> None:
        body = compose("Choppy open.", "Kept my stop.", "")

        assert body == "Choppy open.\n\n## What went well\n\nKept my stop."

    def test_a_composed_body_splits_back_into_its_prompts(self) -> None:
        body = compose("Notes\n\nmore", "Patience", "Size down")

        assert split(body) == {
            "notes": "Notes\n\nmore",
            "went_well": "Patience",
            "to_change": "Size down",
        }

    def test_a_body_written_elsewhere_stays_in_the_notes(self) -> None:
        assert split("# My day\nfree text") == {
            "notes": "# My day\nfree text",
            "went_well": "",
            "to_change": "",
        }


class TestJournalCalendar:
    def test_a_month_links_every_day_and_shows_its_pnl(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        day_answers(edge)

        soup = page(browser.get("/journal", params={"month": "2026-03"}))

        assert edge.received("GET", "/api/v1/statistics")[0].query == MARCH
        links = all_by_testid(soup, "journal-day-link")
        assert len(links) == 31
        assert links[1]["href"] == "/journal/2026-03-02"
        assert links[1]["aria-label"] == "2 March: +40.00, 2 trades"
        assert by_testid(soup, "previous-month")["href"] == "/journal?month=2026-02"
        assert by_testid(soup, "next-month")["href"] == "/journal?month=2026-04"

    def test_a_malformed_month_is_refused_by_name(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        response = browser.get("/journal", params={"month": "March"})

        assert response.status_code == 422
        assert "query.month" in text_of(page(response))
        assert edge.received("GET", "/api/v1/statistics") == []


class TestJournalDay:
    def test_a_day_without_an_entry_shows_empty_prompts_and_its_positions(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        day_answers(edge, a_journal_entry(position_id=uuid.uuid4()))

        soup = page(browser.get("/journal/2026-03-02"))

        assert edge.received("GET", "/api/v1/journal/entries")[0].query == {"day": "2026-03-02"}
        form = by_testid(soup, "journal-day-form")
        labels = [text_of(label) for label in form.select("label[for]")]
        assert labels[:3] == ["Notes (markdown)", "What went well", "What to change"]
        assert form.select_one('input[name="entry_id"]') is None
        assert soup.select_one('[data-testid="day-entry-saved"]') is None
        assert len(all_by_testid(soup, "position-row")) == 1

    def test_the_days_entry_fills_the_prompts_it_answered(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        entry = a_journal_entry(
            day="2026-03-02", body=compose("Calm.", "Waited", "Less size"), mood=3
        )
        day_answers(edge, entry)

        soup = page(browser.get("/journal/2026-03-02"))

        form = by_testid(soup, "journal-day-form")
        assert text_of(form.select_one("#journal-went_well")) == "Waited"  # type: ignore[arg-type]
        assert text_of(form.select_one("#journal-to_change")) == "Less size"  # type: ignore[arg-type]
        assert form.select_one('input[name="mood"][checked]')["value"] == "3"  # type: ignore[index]
        assert form.select_one('input[name="entry_id"]')["value"] == str(entry.id)  # type: ignore[index]
        saved = by_testid(soup, "day-entry-saved")
        assert [text_of(h) for h in saved.select("h2")] == ["What went well", "What to change"]

    def test_the_first_save_creates_the_days_entry(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        created = a_journal_entry(day="2026-03-02", body=compose("Calm.", "Waited", ""), mood=4)
        edge.answer("POST", "/api/v1/journal/entries", created, status=201)

        response = browser.post(
            "/journal/2026-03-02",
            data={"notes": "Calm.", "went_well": "Waited", "to_change": " ", "mood": "4"},
            headers=HTMX,
        )

        assert response.status_code == 200
        sent = json.loads(edge.received("POST", "/api/v1/journal/entries")[0].body)
        assert sent == {
            "day": "2026-03-02",
            "position_id": None,
            "body": "Calm.\n\n## What went well\n\nWaited",
            "mood": 4,
            "tags": [],
        }
        soup = page(response)
        assert "Waited" in text_of(by_testid(soup, "day-entry-saved"))
        assert soup.select_one('input[name="entry_id"]')["value"] == str(created.id)  # type: ignore[index]

    def test_a_later_save_updates_the_same_entry(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        entry = a_journal_entry(day="2026-03-02", body="Changed", mood=2)
        edge.answer("PATCH", f"/api/v1/journal/entries/{entry.id}", entry)

        response = browser.post(
            "/journal/2026-03-02",
            data={"notes": "Changed", "mood": "2", "entry_id": str(entry.id)},
            headers=HTMX,
        )

        assert response.status_code == 200
        sent = json.loads(edge.received("PATCH", f"/api/v1/journal/entries/{entry.id}")[0].body)
        assert sent == {"body": "Changed", "mood": 2}
        assert edge.received("POST", "/api/v1/journal/entries") == []

    def test_an_empty_entry_is_refused_next_to_the_notes(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        response = browser.post("/journal/2026-03-02", data={"mood": "3"}, headers=HTMX)

        assert response.status_code == 422
        error = page(response).select_one("#journal-notes-error")
        assert error is not None
        assert "Write something" in text_of(error)
        assert edge.requests == []

    def test_edges_refusal_is_shown_on_the_form_and_keeps_the_text(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        problem = Problem(
            title="Too long", status=422, errors=[{"location": "/body", "message": "Too long"}]
        )
        edge.refuse("POST", "/api/v1/journal/entries", problem)

        response = browser.post("/journal/2026-03-02", data={"notes": "Kept"}, headers=HTMX)

        assert response.status_code == 422
        soup = page(response)
        assert text_of(soup.select_one("#journal-notes")) == "Kept"  # type: ignore[arg-type]
        assert "Too long" in text_of(soup)
