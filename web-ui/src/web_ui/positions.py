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
    Playbook,
    PositionBars,
    PositionDetail,
    PositionUpdate,
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

# What core accepts for a position's tags.
MAX_TAGS = 50
MAX_TAG_LENGTH = 50


def typed_tags(text: str) -> list[str]:
    """The comma-separated tags typed, trimmed, blanks dropped, each once (a tag is the
    same in any case; its first spelling is kept).

    Raises ValueError naming the tag or count that core would refuse."""
    tags: list[str] = []
    seen: set[str] = set()
    for part in text.split(","):
        tag = part.strip()
        if not tag or tag.casefold() in seen:
            continue
        if len(tag) > MAX_TAG_LENGTH:
            raise ValueError(f"“{tag[:20]}…” is longer than {MAX_TAG_LENGTH} characters")
        seen.add(tag.casefold())
        tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise ValueError(f"A position takes at most {MAX_TAGS} tags; these are {len(tags)}")
    return tags


async def _bars(
    edge: EdgeClient, browser: BrowserContext, position_id: UUID
) -> PositionBars | None:
    # No market data for the position is a 404 here: the page shows its empty state.
    try:
        return await edge.get(browser, f"/api/v1/positions/{position_id}/bars", PositionBars)
    except EdgeNotFoundError:
        return None


async def stop_origin(
    edge: EdgeClient, browser: BrowserContext, position: PositionDetail
) -> str | None:
    """Who placed the position's stop: `trader`, or the default rule of its `playbook` or of
    its `account`; None without a stop. A playbook's rule comes before the account's, so a
    rule's stop is the playbook's exactly when the position follows one that has a rule."""
    if position.stop_source != "default_rule":
        return position.stop_source
    if position.playbook is None:
        return "account"
    playbook = await edge.get(
        browser, f"/api/v1/playbooks/{position.playbook.playbook_id}", Playbook
    )
    return "account" if playbook.default_stop is None else "playbook"


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
            "stop_origin": await stop_origin(edge, browser, position),
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


def _tags_section(
    request: Request,
    position_id: UUID,
    tags: list[str],
    typed: str,
    *,
    error: str | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "fragments/position_tags.html",
        {
            "position_id": position_id,
            "tags": tags,
            "typed": typed,
            "error": error,
            "notice": notice,
        },
        status_code=status_code,
    )


@router.post("/positions/{position_id}/tags", response_class=HTMLResponse)
async def set_tags(
    request: Request, position_id: UUID, browser: Browser, edge: Edge
) -> HTMLResponse:
    """Replace the position's tags with those typed, and answer with its tags section."""
    form = await request.form()
    typed = form_values(form, ("tags",)).get("tags", "")
    shown = [tag for tag in form.getlist("shown") if isinstance(tag, str)]
    try:
        tags = typed_tags(typed)
    except ValueError as exc:
        return _tags_section(request, position_id, shown, typed, error=str(exc), status_code=422)
    try:
        answer = await edge.send(
            browser, "PATCH", f"/api/v1/positions/{position_id}", body=PositionUpdate(tags=tags)
        )
    except EdgeProblemError as exc:
        refusal = next(
            (error.message for error in exc.problem.errors or [] if "tags" in error.location),
            exc.problem.detail or exc.problem.title,
        )
        return _tags_section(
            request, position_id, shown, typed, error=refusal, status_code=exc.problem.status
        )
    except EdgeUnavailableError:
        unreachable = "Not saved: Tradeloop could not be reached. Try again."
        return _tags_section(request, position_id, shown, typed, error=unreachable, status_code=502)
    saved = parse(answer, PositionDetail).tags
    return _tags_section(request, position_id, saved, ", ".join(saved), notice="Tags saved.")
