import json
import uuid
from decimal import Decimal

import httpx
from tradeloop_contracts import ChartSpec, InsightList, Problem

from tests.conftest import HTMX, NONCE
from tests.factories import a_chat_reply, a_weekly_review, a_weekly_review_list, an_insight
from tests.html import all_by_testid, by_testid, csp_violations, page, text_of
from tests.stub_edge import StubEdge
from web_ui.charts import chat_chart


def serve_coach(edge: StubEdge, insights: InsightList, *reviews: object) -> None:
    edge.answer("GET", "/api/v1/insights", insights)
    edge.answer("GET", "/api/v1/reviews", a_weekly_review_list(*reviews))  # type: ignore[arg-type]


class TestInsightFeed:
    def test_each_insight_shows_its_evidence_and_the_trades_behind_it(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        trades = [uuid.uuid4() for _ in range(12)]
        insight = an_insight(
            evidence={
                "metrics": {"mean_net_pnl_after_loss": "-120.00", "mean_net_pnl": "35.10"},
                "sample_size": 18,
                "position_ids": trades,
            },
            suggested_rule="No new position within 15 minutes of a loss",
        )
        serve_coach(edge, InsightList(items=[insight]))

        soup = page(browser.get("/coach"))

        [item] = all_by_testid(soup, "feed-insight")
        evidence = text_of(by_testid(item, "evidence"))
        assert "mean net pnl after loss -120.00" in evidence
        assert "sample size 18" in evidence
        assert "confidence p=0.03" in evidence
        assert "cost -960.00 USD" in evidence
        links = [a["href"] for a in by_testid(item, "evidence-positions").find_all("a")]
        assert links == [f"/positions/{trade}" for trade in trades[:10]]
        assert "and 2 more" in text_of(by_testid(item, "evidence-positions"))
        assert "Suggested rule: No new position within 15 minutes of a loss" in text_of(item)
        assert csp_violations(soup, NONCE) == []

    def test_without_insights_the_feed_says_so(self, browser: httpx.Client, edge: StubEdge) -> None:
        serve_coach(edge, InsightList(items=[]))

        soup = page(browser.get("/coach"))

        by_testid(soup, "insights-empty")

    def test_the_feed_reloads_alone_on_new_insights(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        serve_coach(edge, InsightList(items=[an_insight(title="Fridays cost you")]))

        response = browser.get("/coach/insights", headers=HTMX)

        section = by_testid(page(response), "coach-insights")
        assert section["hx-trigger"] == "tl-insights from:body"
        assert "Fridays cost you" in text_of(section)
        assert edge.received("GET", "/api/v1/reviews") == []


class TestWeeklyReviews:
    def test_a_review_shows_its_summary_focus_numbers_and_insights(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        insight = an_insight(title="Trades after a loss lose more")
        serve_coach(edge, InsightList(items=[insight]), a_weekly_review(insight_ids=[insight.id]))

        soup = page(browser.get("/coach"))

        review = by_testid(soup, "weekly-review")
        assert "Week of 2026-02-23" in text_of(review)
        strong = review.select_one(".markdown strong")
        assert strong is not None
        assert strong.get_text() == "calmer"
        assert "No new position within 15 minutes" in text_of(by_testid(review, "review-focus"))
        assert "net pnl 412.50" in text_of(review)
        assert "Insights behind it: Trades after a loss lose more" in text_of(review)

    def test_a_hostile_summary_is_neutralised(self, browser: httpx.Client, edge: StubEdge) -> None:
        serve_coach(
            edge,
            InsightList(items=[]),
            a_weekly_review(summary="<script>alert(1)</script> [x](javascript:alert(1))"),
        )

        review = by_testid(page(browser.get("/coach")), "weekly-review")

        assert review.find("script") is None
        assert all(
            not str(a.get("href", "")).startswith("javascript:") for a in review.find_all("a")
        )

    def test_without_stored_reviews_the_page_says_none_yet(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.answer("GET", "/api/v1/insights", InsightList(items=[]))
        edge.refuse("GET", "/api/v1/reviews", Problem(title="Not Found", status=404))

        response = browser.get("/coach")

        assert response.status_code == 200
        by_testid(page(response), "reviews-empty")

    def test_the_reviews_reload_alone_when_one_is_ready(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        serve_coach(edge, InsightList(items=[]), a_weekly_review())

        section = by_testid(page(browser.get("/coach/reviews", headers=HTMX)), "coach-reviews")

        assert section["hx-trigger"] == "tl-reviews from:body"
        assert len(all_by_testid(section, "weekly-review")) == 1

    def test_an_unavailable_coach_is_a_502_page(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.refuse("GET", "/api/v1/insights", Problem(title="Down", status=503))
        edge.answer("GET", "/api/v1/reviews", a_weekly_review_list())

        assert browser.get("/coach").status_code == 502


class TestChat:
    def test_a_question_is_sent_with_the_traders_zone_and_the_reply_shown_with_its_numbers(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        reply = a_chat_reply()
        edge.answer("POST", "/api/v1/coach/chat", reply)

        response = browser.post(
            "/coach/chat", data={"message": "How do I do on Mondays after 11?"}, headers=HTMX
        )

        assert response.status_code == 200
        soup = page(response)
        exchange = by_testid(soup, "chat-exchange")
        assert "You: How do I do on Mondays after 11?" in text_of(exchange)
        answer = by_testid(exchange, "chat-answer")
        assert "without a language model" in text_of(answer)
        strong = answer.select_one(".markdown strong")
        assert strong is not None
        assert strong.get_text() == "Mondays"
        numbers = [text_of(row) for row in by_testid(answer, "chat-numbers").select("tbody tr")]
        assert numbers[0] == "net P&L, Monday after 11:00 -310.20 GET /v1/analytics?group_by=hour"
        bars = by_testid(answer, "chat-chart").select("rect.chat-bar")
        assert [bar["class"][1] for bar in bars] == ["gain", "loss", "loss"]
        conversation = soup.select_one("#chat-conversation")
        assert conversation is not None
        assert conversation["value"] == str(reply.conversation_id)
        assert conversation["hx-swap-oob"] == "true"
        [call] = edge.received("POST", "/api/v1/coach/chat")
        assert call.query == {"time_zone": "UTC"}
        assert json.loads(call.body) == {
            "message": "How do I do on Mondays after 11?",
            "conversation_id": None,
            "account_id": None,
        }
        assert csp_violations(soup, NONCE) == []

    def test_a_follow_up_continues_the_conversation(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        conversation = uuid.uuid4()
        edge.answer(
            "POST", "/api/v1/coach/chat", a_chat_reply(conversation_id=conversation, chart=None)
        )

        response = browser.post(
            "/coach/chat",
            data={"message": "And Tuesdays?", "conversation_id": str(conversation)},
            headers=HTMX,
        )

        assert by_testid(page(response), "chat-exchange").select_one("svg") is None
        [call] = edge.received("POST", "/api/v1/coach/chat")
        assert json.loads(call.body)["conversation_id"] == str(conversation)

    def test_an_empty_question_is_refused_under_the_form(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        response = browser.post("/coach/chat", data={"message": "  "}, headers=HTMX)

        assert response.status_code == 422
        assert response.headers["hx-retarget"] == "#chat-error"
        assert "required" in text_of(by_testid(page(response), "chat-error"))
        assert edge.received("POST", "/api/v1/coach/chat") == []

    def test_a_silent_coach_is_said_so(self, browser: httpx.Client, edge: StubEdge) -> None:
        edge.refuse("POST", "/api/v1/coach/chat", Problem(title="Bad Gateway", status=502))

        response = browser.post("/coach/chat", data={"message": "Hello?"}, headers=HTMX)

        assert response.status_code == 502
        assert "did not answer" in text_of(by_testid(page(response), "chat-error"))


class TestChatChart:
    def test_bars_stand_on_the_zero_line_up_for_gains_down_for_losses(self) -> None:
        spec = a_chat_reply().chart
        assert spec is not None

        chart = chat_chart(spec)

        assert chart is not None
        gain, loss, _ = chart.bars
        assert gain.y + gain.height == chart.zero_y
        assert loss.y == chart.zero_y
        assert gain.height > 0
        assert loss.height > 0
        assert (chart.low, chart.high) == (Decimal("-200.00"), Decimal("120.50"))

    def test_a_line_chart_has_one_path_per_series(self) -> None:
        spec = ChartSpec.model_validate(
            {
                "kind": "line",
                "series": [
                    {"name": "a", "points": [{"x": "1", "y": "1"}, {"x": "2", "y": "3"}]},
                    {"name": "b", "points": [{"x": "1", "y": "-1"}]},
                ],
            }
        )

        chart = chat_chart(spec)

        assert chart is not None
        assert len(chart.paths) == 2
        assert chart.bars == []
