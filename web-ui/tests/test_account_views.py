"""One account or all on every page: the same `account_id` choice, passed to edge, kept by
the navigation and the pages' own links."""

import json
import uuid
from urllib.parse import parse_qs, urlsplit

import httpx
from tradeloop_contracts import InsightList, PlaybookList, Problem

from tests.conftest import HTMX
from tests.factories import (
    ACCOUNT_ID,
    a_calendar,
    a_chat_reply,
    a_journal_entry,
    a_journal_page,
    a_position,
    a_position_page,
    a_weekly_review_list,
    an_account,
    an_account_list,
    an_analytics,
    an_import_page,
    an_insight,
    statistics,
)
from tests.html import all_by_testid, by_testid, page, text_of
from tests.stub_edge import StubEdge
from tests.test_plan import serve_plan

FUTURES_ID = uuid.UUID("0b0d6f4c-4c0a-4d8e-9d6b-5d2f0c6c1a02")
FOREIGN_ID = uuid.UUID("0b0d6f4c-4c0a-4d8e-9d6b-5d2f0c6c1a99")
FUTURES = {"account_id": str(FUTURES_ID)}


def two_accounts(edge: StubEdge) -> None:
    edge.answer(
        "GET",
        "/api/v1/accounts",
        an_account_list(an_account(), an_account(id=FUTURES_ID, name="Futures")),
    )


def account_of(href: str) -> list[str]:
    return parse_qs(urlsplit(href).query).get("account_id", [])


def journal_answers(edge: StubEdge, *, positions_that_day: int) -> None:
    edge.answer("GET", "/api/v1/statistics", statistics(**a_calendar(("2026-03-02", "40", 2))))
    edge.answer(
        "GET",
        "/api/v1/journal/entries",
        a_journal_page(a_journal_entry(day="2026-03-03", body="A quiet **Tuesday**.")),
    )
    edge.answer("GET", "/api/v1/positions", a_position_page(*[a_position()] * positions_that_day))


class TestNavigation:
    def test_every_main_link_keeps_the_chosen_account(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        two_accounts(edge)
        journal_answers(edge, positions_that_day=0)

        soup = page(browser.get("/journal", params={"month": "2026-03", **FUTURES}))

        nav = soup.select("nav[aria-label=Main] a")
        assert len(nav) == 8
        assert {tuple(account_of(str(link["href"]))) for link in nav} == {(str(FUTURES_ID),)}
        brand = soup.select_one("a.brand")
        assert brand is not None
        assert account_of(str(brand["href"])) == [str(FUTURES_ID)]

    def test_without_a_choice_the_links_are_plain(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        two_accounts(edge)
        journal_answers(edge, positions_that_day=0)

        soup = page(browser.get("/journal", params={"month": "2026-03"}))

        assert [link["href"] for link in soup.select("nav[aria-label=Main] a")][:3] == [
            "/",
            "/trades",
            "/journal",
        ]

    def test_the_selector_is_the_same_control_on_every_page(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        two_accounts(edge)
        journal_answers(edge, positions_that_day=1)
        serve_plan(edge)
        two_accounts(edge)
        edge.answer("GET", "/api/v1/insights", InsightList(items=[]))
        edge.answer("GET", "/api/v1/reviews", a_weekly_review_list())
        edge.answer("GET", "/api/v1/playbooks", PlaybookList(items=[]))
        for path in (
            "/journal",
            "/journal/2026-03-02",
            "/days/2026-03-02",
            "/plan",
            "/playbooks",
            "/coach",
        ):
            soup = page(browser.get(path, params=FUTURES))
            chooser = soup.select_one("select[name=account_id]")
            assert chooser is not None, path
            options = [(o["value"], text_of(o)) for o in chooser.select("option")]
            assert options == [
                ("", "All accounts"),
                (str(ACCOUNT_ID), "Main margin"),
                (str(FUTURES_ID), "Futures"),
            ], path
            [chosen] = chooser.select("option[selected]")
            assert chosen["value"] == str(FUTURES_ID), path


class TestFormsForAnAccount:
    def test_a_trade_added_by_hand_starts_in_the_chosen_account(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        two_accounts(edge)

        soup = page(browser.get("/trades/new", params=FUTURES))

        chosen = soup.select_one("#trade-account_id option[selected]")
        assert chosen is not None
        assert chosen["value"] == str(FUTURES_ID)

    def test_an_upload_starts_in_the_chosen_account(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        two_accounts(edge)
        edge.answer("GET", "/api/v1/imports", an_import_page())

        soup = page(browser.get("/imports", params=FUTURES))

        chosen = soup.select_one("#import-account option[selected]")
        assert chosen is not None
        assert chosen["value"] == str(FUTURES_ID)


class TestImports:
    def test_the_history_is_the_account_s_and_reloads_as_such(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        two_accounts(edge)
        edge.answer("GET", "/api/v1/imports", an_import_page())

        soup = page(browser.get("/imports", params=FUTURES))

        [history] = edge.received("GET", "/api/v1/imports")
        assert history.query == FUTURES
        chosen = by_testid(soup, "account-form").select_one("option[selected]")
        assert chosen is not None
        assert chosen["value"] == str(FUTURES_ID)
        [reload] = soup.select("#import-history")
        assert account_of(str(reload["hx-get"])) == [str(FUTURES_ID)]

        browser.get("/imports/history", params=FUTURES, headers=HTMX)
        assert edge.received("GET", "/api/v1/imports")[-1].query == FUTURES


class TestJournal:
    def test_the_calendar_and_its_links_are_the_account_s(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        two_accounts(edge)
        journal_answers(edge, positions_that_day=0)

        soup = page(browser.get("/journal", params={"month": "2026-03", **FUTURES}))

        [stats] = edge.received("GET", "/api/v1/statistics")
        assert stats.query == {"start": "2026-03-01", "end": "2026-03-31", **FUTURES}
        assert all_by_testid(soup, "journal-day-link")[1]["href"] == (
            f"/journal/2026-03-02?account_id={FUTURES_ID}"
        )
        assert account_of(str(by_testid(soup, "next-month")["href"])) == [str(FUTURES_ID)]
        # The month picked stays when the account changes.
        form = by_testid(soup, "account-form")
        assert form["action"] == "/journal"
        month = form.select_one("input[name=month]")
        assert month is not None
        assert month["value"] == "2026-03"

    def test_a_day_the_account_did_not_trade_hides_the_day_s_entry(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        two_accounts(edge)
        journal_answers(edge, positions_that_day=0)

        soup = page(browser.get("/journal/2026-03-03", params=FUTURES))

        assert "did not trade on this day" in text_of(by_testid(soup, "journal-not-traded"))
        assert soup.select_one("#journal-day-form, textarea[name=notes]") is None
        assert "quiet" not in text_of(soup)
        # The day's entry is read unfiltered: it is one entry for the day, whichever view.
        [entries] = edge.received("GET", "/api/v1/journal/entries")
        assert entries.query == {"day": "2026-03-03"}
        [positions] = edge.received("GET", "/api/v1/positions")
        assert positions.query == {"start": "2026-03-03", "end": "2026-03-03", **FUTURES}

    def test_a_day_the_account_traded_shows_the_day_s_entry_to_edit(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        two_accounts(edge)
        journal_answers(edge, positions_that_day=1)

        soup = page(browser.get("/journal/2026-03-03", params=FUTURES))

        assert soup.select("[data-testid=journal-not-traded]") == []
        notes = soup.select_one("textarea[name=notes]")
        assert notes is not None
        assert "quiet" in text_of(notes)

    def test_a_day_with_closes_only_counts_as_traded(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        two_accounts(edge)
        journal_answers(edge, positions_that_day=0)

        # 2 March has closes in the account's calendar, though nothing opened that day.
        soup = page(browser.get("/journal/2026-03-02", params=FUTURES))

        assert soup.select("[data-testid=journal-not-traded]") == []

    def test_the_day_page_asks_for_the_account_s_entries_and_positions(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        two_accounts(edge)
        journal_answers(edge, positions_that_day=1)

        soup = page(browser.get("/days/2026-03-03", params=FUTURES))

        [entries] = edge.received("GET", "/api/v1/journal/entries")
        assert entries.query == {"day": "2026-03-03", **FUTURES}
        [positions] = edge.received("GET", "/api/v1/positions")
        assert positions.query == {"start": "2026-03-03", "end": "2026-03-03", **FUTURES}
        assert by_testid(soup, "account-form")["action"] == "/days/2026-03-03"
        pager = [str(a["href"]) for a in soup.select("nav[aria-label=Days] a")]
        assert all(account_of(href) == [str(FUTURES_ID)] for href in pager)


class TestPlan:
    def test_limits_adherence_and_violations_are_the_account_s(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        serve_plan(edge)
        two_accounts(edge)

        soup = page(browser.get("/plan", params=FUTURES))

        for path in ("/api/v1/plan/limits", "/api/v1/plan/adherence"):
            [call] = edge.received("GET", path)
            assert call.query == FUTURES, path
        [violations] = edge.received("GET", "/api/v1/violations")
        assert violations.query == {"limit": "25", **FUTURES}
        # The panels reload for the same account.
        for testid in ("plan-limits", "plan-adherence", "plan-violations"):
            assert account_of(str(by_testid(soup, testid)["hx-get"])) == [str(FUTURES_ID)]
        assert "this account's" in text_of(by_testid(soup, "plan-account-note"))

    def test_another_trader_s_account_is_not_found(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        serve_plan(edge)
        edge.refuse(
            "GET",
            "/api/v1/violations",
            Problem(title="Not Found", status=404),
        )
        foreign = {"account_id": str(FOREIGN_ID)}

        assert browser.get("/plan", params=foreign).status_code == 404
        assert browser.get("/plan/limits", params=foreign, headers=HTMX).status_code == 404
        assert browser.get("/plan/adherence", params=foreign, headers=HTMX).status_code == 404


class TestPlaybooks:
    def test_the_list_and_its_stats_are_the_account_s(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        two_accounts(edge)
        edge.answer("GET", "/api/v1/playbooks", PlaybookList(items=[]))
        edge.answer("GET", "/api/v1/coach/analytics", an_analytics("playbook", ("ORB", 1, "20")))

        soup = page(browser.get("/playbooks", params=FUTURES))

        [playbooks] = edge.received("GET", "/api/v1/playbooks")
        assert playbooks.query == FUTURES
        asked = sorted(
            call.query["group_by"] for call in edge.received("GET", "/api/v1/coach/analytics")
        )
        assert asked == ["criterion", "playbook"]
        assert all(
            call.query["account_id"] == str(FUTURES_ID)
            for call in edge.received("GET", "/api/v1/coach/analytics")
        )
        assert by_testid(soup, "account-form")["action"] == "/playbooks"


class TestCoach:
    def test_insights_and_reviews_stay_combined_and_say_so(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        two_accounts(edge)
        edge.answer("GET", "/api/v1/insights", InsightList(items=[an_insight()]))
        edge.answer("GET", "/api/v1/reviews", a_weekly_review_list())

        soup = page(browser.get("/coach", params=FUTURES))

        assert edge.received("GET", "/api/v1/insights")[0].query == {}
        assert "all your accounts" in text_of(by_testid(soup, "insights-combined"))
        assert "all your accounts" in text_of(by_testid(soup, "reviews-combined"))
        chat_account = soup.select_one("#chat-form input[name=account_id]")
        assert chat_account is not None
        assert chat_account["value"] == str(FUTURES_ID)

    def test_a_question_is_sent_for_the_chosen_account(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.answer("POST", "/api/v1/coach/chat", a_chat_reply())

        response = browser.post(
            "/coach/chat",
            data={"message": "what is my P&L?", "account_id": str(FUTURES_ID)},
            headers=HTMX,
        )

        assert response.status_code == 200, response.text
        [call] = edge.received("POST", "/api/v1/coach/chat")
        assert json.loads(call.body)["account_id"] == str(FUTURES_ID)

    def test_another_trader_s_account_is_not_found(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.answer("GET", "/api/v1/insights", InsightList(items=[]))
        edge.answer("GET", "/api/v1/reviews", a_weekly_review_list())

        response = browser.get("/coach", params={"account_id": str(FOREIGN_ID)})

        assert response.status_code == 404

    def test_without_a_choice_the_question_is_about_every_account(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        two_accounts(edge)
        edge.answer("GET", "/api/v1/insights", InsightList(items=[]))
        edge.answer("GET", "/api/v1/reviews", a_weekly_review_list())

        soup = page(browser.get("/coach"))

        assert soup.select("#chat-form input[name=account_id]") == []
        assert soup.select("[data-testid=insights-combined]") == []
