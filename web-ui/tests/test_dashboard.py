import datetime as dt

import httpx
from tradeloop_contracts import InsightList, Problem

from tests.conftest import CSRF_TOKEN, HTMX, SESSION_COOKIE
from tests.demo import demo_plan
from tests.factories import (
    ACCOUNT_ID,
    a_calendar,
    a_dashboard,
    a_journal_entry,
    a_journal_page,
    a_position,
    a_position_page,
    a_user,
    an_adherence,
    statistics,
)
from tests.html import all_by_testid, by_testid, page, text_of
from tests.stub_edge import StubEdge
from web_ui.dashboard import this_week


class TestDashboard:
    def test_statistics_cards_show_the_numbers_edge_sent(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.answer("GET", "/api/v1/dashboard", a_dashboard())

        soup = page(browser.get("/"))

        assert "+1,234.50 USD" in text_of(by_testid(soup, "stat-net-pnl"))
        assert "50.0%" in text_of(by_testid(soup, "stat-win-rate"))
        assert "66.7% excluding breakevens" in text_of(by_testid(soup, "stat-win-rate"))
        assert "3.25" in text_of(by_testid(soup, "stat-profit-factor"))
        assert "+308.62 USD" in text_of(by_testid(soup, "stat-expectancy"))
        assert "+800.00 / -365.50" in text_of(by_testid(soup, "stat-average-win-loss"))
        assert "-365.50 USD" in text_of(by_testid(soup, "stat-max-drawdown"))

    def test_a_drawdown_reported_as_a_positive_magnitude_reads_as_a_loss(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        stats = statistics(max_drawdown="11534.27")
        edge.answer("GET", "/api/v1/dashboard", a_dashboard(statistics=stats))

        soup = page(browser.get("/"))

        assert text_of(by_testid(soup, "stat-max-drawdown")) == "Max drawdown -11,534.27 USD"

    def test_a_trader_without_closed_positions_sees_zero_cards_and_where_to_import(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        empty = statistics(
            trades=0,
            wins=0,
            losses=0,
            breakevens=0,
            net_pnl="0",
            gross_pnl="0",
            fees="0",
            win_rate=None,
            win_rate_excluding_breakevens=None,
            profit_factor=None,
            payoff_ratio=None,
            expectancy=None,
            average_win=None,
            average_loss=None,
            max_drawdown="0",
        )
        dashboard = a_dashboard(statistics=empty, positions=a_position_page())
        edge.answer("GET", "/api/v1/dashboard", dashboard)

        soup = page(browser.get("/"))

        assert "0.00 USD" in text_of(by_testid(soup, "stat-net-pnl"))
        assert "Win rate —" in text_of(by_testid(soup, "stat-win-rate"))
        assert soup.select_one('main a[href="/imports"]') is not None
        assert "No positions yet" in text_of(soup)

    def test_profit_factor_reads_no_losses_when_there_are_none(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        stats = statistics(losses=0, profit_factor=None, no_losses=True)
        edge.answer("GET", "/api/v1/dashboard", a_dashboard(statistics=stats))

        soup = page(browser.get("/"))

        assert text_of(by_testid(soup, "stat-profit-factor")) == "Profit factor no losses"

    def test_each_recent_position_is_a_row_linking_to_its_page(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        short = a_position(
            instrument={"asset_class": "stock", "symbol": "TSLA"},
            direction="short",
            realised_pnl_net="-57.10",
            outcome="loss",
        )
        long = a_position()
        edge.answer("GET", "/api/v1/dashboard", a_dashboard(positions=a_position_page(short, long)))

        soup = page(browser.get("/"))

        rows = all_by_testid(by_testid(soup, "positions-table"), "position-row")
        assert [row.a["href"] for row in rows if row.a] == [
            f"/positions/{short.id}",
            f"/positions/{long.id}",
        ]
        first = text_of(rows[0])
        assert "TSLA" in first
        assert "short" in first
        assert "-57.10 USD" in first
        assert "loss" in first
        assert "2026-03-02 14:30 UTC" in first

    def test_times_show_in_the_traders_time_zone(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.answer("GET", "/api/v1/me", a_user(time_zone="America/New_York"))
        edge.answer("GET", "/api/v1/dashboard", a_dashboard())

        soup = page(browser.get("/"))

        [row] = all_by_testid(soup, "position-row")
        assert "2026-03-02 09:30 EST" in text_of(row)
        assert text_of(by_testid(soup, "signed-in-as")) == "trader@example.com"

    def test_insights_show_title_body_and_key_numbers(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.answer("GET", "/api/v1/dashboard", a_dashboard())

        insights = text_of(by_testid(page(browser.get("/")), "insights"))

        assert "Trades after a loss lose more" in insights
        assert "averaged -120 USD" in insights
        assert "mean net pnl after loss -120.00" in insights
        assert "sample size 18" in insights

    def test_no_insights_says_the_coach_speaks_only_on_clear_evidence(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.answer("GET", "/api/v1/dashboard", a_dashboard(insights=InsightList(items=[])))

        insights = text_of(by_testid(page(browser.get("/")), "insights"))

        assert "Nothing stands out yet" in insights

    def test_a_partial_answer_names_the_part_that_is_missing(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.answer(
            "GET",
            "/api/v1/dashboard",
            a_dashboard(insights=None, partial=["insights"]),
        )

        soup = page(browser.get("/"))

        note = text_of(by_testid(soup, "partial-note"))
        assert "could not be loaded in time: insights" in note
        assert "coach is not available" in text_of(by_testid(soup, "insights"))

    def test_a_complete_answer_has_no_partial_note(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.answer("GET", "/api/v1/dashboard", a_dashboard(insights=InsightList(items=[])))

        soup = page(browser.get("/"))

        assert soup.select_one('[data-testid="partial-note"]') is None

    def test_edge_is_asked_as_the_same_browser_session(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.answer("GET", "/api/v1/dashboard", a_dashboard(insights=InsightList(items=[])))

        browser.get("/")

        [call] = edge.received("GET", "/api/v1/dashboard")
        assert call.headers["cookie"] == SESSION_COOKIE
        assert call.headers["x-csrf-token"] == CSRF_TOKEN
        assert call.headers["x-request-id"] == "req-42"
        assert call.headers["x-forwarded-for"] == "198.51.100.7"
        assert "idempotency-key" not in call.headers

    def test_without_a_session_the_browser_is_sent_to_login(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.refuse("GET", "/api/v1/dashboard", Problem(title="Unauthorized", status=401))

        response = browser.get("/")

        assert response.status_code == 303
        assert response.headers["location"] == "/login"

    def test_without_a_session_an_htmx_reload_redirects_the_whole_page(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.refuse("GET", "/api/v1/dashboard", Problem(title="Unauthorized", status=401))

        response = browser.get("/", headers=HTMX)

        assert response.headers["hx-redirect"] == "/login"

    def test_a_failing_edge_gives_a_clear_page_and_no_trace(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.refuse("GET", "/api/v1/dashboard", Problem(title="Boom", status=503))

        response = browser.get("/")

        assert response.status_code == 502
        assert "Tradeloop is not answering" in text_of(by_testid(page(response), "problem"))
        assert "Traceback" not in response.text

    def test_an_answer_that_breaks_the_contract_is_not_shown(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.answer("GET", "/api/v1/dashboard", b'{"statistics": {"trades": "many"}}')

        response = browser.get("/")

        assert response.status_code == 502


class TestDashboardCharts:
    def test_the_equity_curve_is_an_inline_svg_with_a_title_and_a_table(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        stats = statistics(**a_calendar(("2026-03-02", "120.00", 2), ("2026-03-03", "-20.00", 1)))
        edge.answer("GET", "/api/v1/dashboard", a_dashboard(statistics=stats))

        soup = page(browser.get("/"))

        chart = by_testid(soup, "equity-chart")
        svg = chart.select_one("svg[role=img]")
        assert svg is not None
        assert text_of(svg.select_one("title")) == "Equity curve"  # type: ignore[arg-type]
        assert "ends at +100.00 USD" in text_of(svg.select_one("desc"))  # type: ignore[arg-type]
        rows = [text_of(r) for r in by_testid(soup, "equity-table").select("tbody tr")]
        assert rows == ["2026-03-02 +120.00", "2026-03-03 +100.00"]

    def test_each_trading_day_links_to_its_day_page(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        stats = statistics(**a_calendar(("2026-03-02", "120.00", 2), ("2026-03-03", "-20.00", 1)))
        edge.answer("GET", "/api/v1/dashboard", a_dashboard(statistics=stats))

        soup = page(browser.get("/"))

        days = all_by_testid(soup, "calendar-day")
        assert [d["href"] for d in days] == ["/days/2026-03-02", "/days/2026-03-03"]
        assert days[0]["aria-label"] == "2 March 2026: +120.00 USD, 2 trades"
        assert "March 2026" in text_of(by_testid(soup, "calendar-heatmap"))
        assert "2026-03-03 1 -20.00" in text_of(by_testid(soup, "calendar-table"))

    def test_a_period_without_trades_says_so_instead_of_a_chart(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.answer("GET", "/api/v1/dashboard", a_dashboard())

        soup = page(browser.get("/"))

        assert soup.select_one('[data-testid="equity-chart"]') is None
        assert "No trading days in this period" in text_of(soup)

    def test_the_chosen_period_and_account_are_passed_to_edge_and_kept_in_the_form(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.answer("GET", "/api/v1/dashboard", a_dashboard())

        query = {"start": "2026-03-01", "end": "2026-03-31", "account_id": str(ACCOUNT_ID)}
        soup = page(browser.get("/", params=query))

        assert edge.received("GET", "/api/v1/dashboard")[0].query == query
        form = by_testid(soup, "period-form")
        assert form.select_one("#period-start")["value"] == "2026-03-01"  # type: ignore[index]
        selected = form.select_one("option[selected]")
        assert selected is not None
        assert selected["value"] == str(ACCOUNT_ID)

    def test_blank_picker_fields_mean_no_filter(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.answer("GET", "/api/v1/dashboard", a_dashboard())

        browser.get("/", params={"start": "", "end": "", "account_id": ""})

        assert edge.received("GET", "/api/v1/dashboard")[0].query == {}

    def test_a_malformed_date_is_refused_by_name_without_calling_edge(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        response = browser.get("/", params={"start": "March"})

        assert response.status_code == 422
        assert "query.start" in text_of(page(response))
        assert edge.received("GET", "/api/v1/dashboard") == []

    def test_a_start_after_the_end_is_refused(self, browser: httpx.Client, edge: StubEdge) -> None:
        response = browser.get("/", params={"start": "2026-03-05", "end": "2026-03-01"})

        assert response.status_code == 422
        assert "start date must be on or before the end date" in response.text
        assert edge.received("GET", "/api/v1/dashboard") == []


class TestDayPage:
    def test_a_day_shows_its_positions_and_journal(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.answer("GET", "/api/v1/positions", a_position_page(a_position()))
        edge.answer(
            "GET",
            "/api/v1/journal/entries",
            a_journal_page(a_journal_entry(day="2026-03-02", position_id=None)),
        )

        soup = page(browser.get("/days/2026-03-02"))

        assert edge.received("GET", "/api/v1/positions")[0].query == {
            "start": "2026-03-02",
            "end": "2026-03-02",
        }
        assert edge.received("GET", "/api/v1/journal/entries")[0].query == {"day": "2026-03-02"}
        assert len(all_by_testid(soup, "position-row")) == 1
        assert "retest" in text_of(by_testid(soup, "journal-entries"))
        assert "Monday, 02 March 2026" in text_of(soup)

    def test_a_day_that_is_not_a_date_is_not_found(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        assert browser.get("/days/2026-02-30").status_code == 404
        assert edge.received("GET", "/api/v1/positions") == []


class TestPlanAdherenceThisWeek:
    def test_the_week_runs_from_monday_to_today_in_the_traders_zone(self) -> None:
        # Monday 2026-03-09 01:00 UTC is still Sunday evening in New York.
        now = dt.datetime(2026, 3, 9, 1, 0, tzinfo=dt.UTC)

        assert this_week("UTC", now) == (dt.date(2026, 3, 9), dt.date(2026, 3, 9))
        assert this_week("America/New_York", now) == (dt.date(2026, 3, 2), dt.date(2026, 3, 8))
        assert this_week("Not/AZone", now) == (dt.date(2026, 3, 9), dt.date(2026, 3, 9))

    def test_the_card_shows_the_weeks_rate_breaks_and_streak(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.answer("GET", "/api/v1/dashboard", a_dashboard())
        edge.answer("GET", "/api/v1/plan/adherence", an_adherence(demo_plan()))

        card = by_testid(page(browser.get("/")), "stat-plan-adherence")

        assert "Plan adherence this week 87.5% 5 broken since" in text_of(card)
        assert "3 clean days in a row" in text_of(card)
        [call] = edge.received("GET", "/api/v1/plan/adherence")
        start, end = this_week("UTC")
        assert call.query == {"start": start.isoformat(), "end": end.isoformat()}

    def test_an_unavailable_plan_leaves_the_rest_of_the_dashboard(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.answer("GET", "/api/v1/dashboard", a_dashboard())
        edge.refuse("GET", "/api/v1/plan/adherence", Problem(title="Down", status=503))

        response = browser.get("/")

        assert response.status_code == 200
        assert "Not available right now" in text_of(
            by_testid(page(response), "stat-plan-adherence")
        )
