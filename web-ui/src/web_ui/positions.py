"""A position's page: its numbers, executions, journal entries and a reflection form."""

from __future__ import annotations

import asyncio
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from tradeloop_contracts import (
    JournalEntry,
    JournalEntryCreate,
    JournalEntryPage,
    PositionBars,
    PositionDetail,
    ProblemField,
)

from web_ui.auth import signed_in_trader
from web_ui.browser import Browser, BrowserContext
from web_ui.edge import (
    Edge,
    EdgeClient,
    EdgeNotFoundError,
    EdgeProblemError,
    EdgeUnavailableError,
    parse,
)
from web_ui.forms import errors_by_field, field_errors, form_values
from web_ui.price_chart import price_chart
from web_ui.rendering import render

router = APIRouter()


async def _bars(
    edge: EdgeClient, browser: BrowserContext, position_id: UUID
) -> PositionBars | None:
    # No market data for the position is a 404 here: the page shows its empty state.
    try:
        return await edge.get(browser, f"/api/v1/positions/{position_id}/bars", PositionBars)
    except EdgeNotFoundError:
        return None


@router.get("/positions/{position_id}", response_class=HTMLResponse)
async def get_position(
    request: Request, position_id: UUID, browser: Browser, edge: Edge
) -> HTMLResponse:
    """A position with its price chart, executions and journal."""
    position, journal, user, bars = await asyncio.gather(
        edge.get(browser, f"/api/v1/positions/{position_id}", PositionDetail),
        edge.get(
            browser,
            "/api/v1/journal/entries",
            JournalEntryPage,
            params={"position_id": str(position_id)},
        ),
        signed_in_trader(edge, browser),
        _bars(edge, browser, position_id),
    )
    chart = None
    if bars is not None:
        chart = price_chart(bars, position, user.time_zone)
    return render(
        request,
        "position.html",
        {
            "position": position,
            "chart": chart,
            "entries": journal.items,
            "user": user,
            "values": {},
            "errors": {},
        },
    )


def _journal_form(
    request: Request,
    position_id: UUID,
    values: dict[str, str],
    errors: list[ProblemField],
    status_code: int,
) -> HTMLResponse:
    return render(
        request,
        "fragments/journal_form.html",
        {"position_id": position_id, "values": values, "errors": errors_by_field(errors)},
        status_code=status_code,
        headers={"hx-retarget": "#journal-form", "hx-reswap": "outerHTML"},
    )


@router.post("/positions/{position_id}/journal", response_class=HTMLResponse)
async def add_reflection(
    request: Request, position_id: UUID, browser: Browser, edge: Edge
) -> HTMLResponse:
    """Save a reflection on the position and answer with the new entry."""
    values = form_values(await request.form(), ("body", "mood"))
    try:
        body = JournalEntryCreate.model_validate(
            {"position_id": position_id, "body": values.get("body", ""), "mood": values.get("mood")}
        )
    except ValidationError as exc:
        return _journal_form(request, position_id, values, field_errors(exc), 422)
    if not body.body.strip():
        empty = ProblemField(location="body", message="Write something to save a reflection")
        return _journal_form(request, position_id, values, [empty], 422)
    try:
        answer = await edge.send(browser, "POST", "/api/v1/journal/entries", body=body)
    except EdgeProblemError as exc:
        errors = exc.problem.errors or [
            ProblemField(location="body", message=exc.problem.detail or exc.problem.title)
        ]
        return _journal_form(request, position_id, values, errors, exc.problem.status)
    except EdgeUnavailableError:
        unreachable = ProblemField(
            location="body", message="Not saved: Tradeloop could not be reached. Try again."
        )
        return _journal_form(request, position_id, values, [unreachable], 502)
    entry = parse(answer, JournalEntry)
    user = await signed_in_trader(edge, browser)
    return render(
        request,
        "fragments/journal_saved.html",
        {"entry": entry, "user": user, "position_id": position_id, "values": {}, "errors": {}},
        status_code=201,
    )
