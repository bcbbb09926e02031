"""Coach pages: the insight feed with its evidence, the weekly reviews, and chat."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from tradeloop_contracts import (
    AccountList,
    ChatReply,
    ChatRequest,
    Insight,
    InsightList,
    WeeklyReviewList,
)

from web_ui.auth import signed_in_trader
from web_ui.browser import Browser, BrowserContext
from web_ui.charts import chat_chart
from web_ui.edge import (
    Edge,
    EdgeClient,
    EdgeNotFoundError,
    EdgeProblemError,
    EdgeUnavailableError,
    parse,
)
from web_ui.filters import AccountChoice, read_query
from web_ui.forms import field_errors, form_values
from web_ui.rendering import render

router = APIRouter()

# Positions linked from one insight's evidence; the rest are counted.
EVIDENCE_LINKS = 10


async def _insights(edge: EdgeClient, browser: BrowserContext) -> InsightList:
    return await edge.get(browser, "/api/v1/insights", InsightList)


async def _reviews(edge: EdgeClient, browser: BrowserContext) -> WeeklyReviewList:
    # Until core stores reviews, the route is missing (404): the page shows none yet.
    try:
        return await edge.get(browser, "/api/v1/reviews", WeeklyReviewList)
    except EdgeNotFoundError:
        return WeeklyReviewList(items=[])


def _insight_titles(insights: list[Insight]) -> dict[UUID, str]:
    return {insight.id: insight.title for insight in insights}


@router.get("/coach", response_class=HTMLResponse)
async def coach_page(request: Request, browser: Browser, edge: Edge) -> HTMLResponse:
    """Insights the coach found, newest first, and the weekly reviews (over every account:
    they carry none), and the questions, of the chosen account or all."""
    chosen = read_query(request, AccountChoice)
    insights, reviews, user, accounts = await asyncio.gather(
        _insights(edge, browser),
        _reviews(edge, browser),
        signed_in_trader(edge, browser),
        edge.get(browser, "/api/v1/accounts", AccountList),
    )
    chosen.require_among(accounts.items)
    context: dict[str, Any] = {
        "accounts": accounts.items,
        "insights": insights.items,
        "reviews": reviews.items,
        "insight_titles": _insight_titles(insights.items),
        "evidence_links": EVIDENCE_LINKS,
        "user": user,
    }
    return render(request, "coach.html", context)


@router.get("/coach/insights", response_class=HTMLResponse)
async def coach_insights(request: Request, browser: Browser, edge: Edge) -> HTMLResponse:
    """The insight feed alone, reloaded when the coach finds something new."""
    insights, user = await asyncio.gather(_insights(edge, browser), signed_in_trader(edge, browser))
    context = {"insights": insights.items, "evidence_links": EVIDENCE_LINKS, "user": user}
    return render(request, "fragments/coach_insights.html", context)


@router.get("/coach/reviews", response_class=HTMLResponse)
async def coach_reviews(request: Request, browser: Browser, edge: Edge) -> HTMLResponse:
    """The weekly reviews alone, reloaded when a new one is ready."""
    insights, reviews, user = await asyncio.gather(
        _insights(edge, browser), _reviews(edge, browser), signed_in_trader(edge, browser)
    )
    context = {
        "reviews": reviews.items,
        "insight_titles": _insight_titles(insights.items),
        "user": user,
    }
    return render(request, "fragments/coach_reviews.html", context)


def _chat_refusal(request: Request, question: str, message: str, status_code: int) -> HTMLResponse:
    context = {"question": question, "error": message}
    # The refusal is shown under the form; the conversation so far stays as it was.
    headers = {"hx-retarget": "#chat-error", "hx-reswap": "outerHTML"}
    return render(
        request, "fragments/chat_error.html", context, status_code=status_code, headers=headers
    )


@router.post("/coach/chat", response_class=HTMLResponse)
async def chat(request: Request, browser: Browser, edge: Edge) -> HTMLResponse:
    """Ask the coach about your own numbers; answers with the question and its reply."""
    values = form_values(await request.form(), ("message", "conversation_id", "account_id"))
    question = values.get("message", "")
    try:
        body = ChatRequest.model_validate(values)
    except ValidationError as exc:
        return _chat_refusal(request, question, field_errors(exc)[0].message, 422)
    user = await signed_in_trader(edge, browser)
    try:
        answer = await edge.send(
            browser,
            "POST",
            "/api/v1/coach/chat",
            params={"time_zone": user.time_zone},
            body=body,
        )
    except EdgeProblemError as exc:
        return _chat_refusal(
            request, question, exc.problem.detail or exc.problem.title, exc.problem.status
        )
    except EdgeUnavailableError:
        return _chat_refusal(request, question, "The coach did not answer. Ask again.", 502)
    reply = parse(answer, ChatReply)
    context = {
        "question": body.message,
        "reply": reply,
        "chart": chat_chart(reply.chart) if reply.chart else None,
    }
    return render(request, "fragments/chat_exchange.html", context)
