"""Bulk tagging on the trades page: one tag applied to, or removed from, chosen positions.

One call to core's bulk route changes every chosen position or none of them, so a tag
change made elsewhere at the same time is never overwritten and a refusal leaves nothing
half done."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from tradeloop_contracts import PositionPage, PositionTagsChange

from web_ui.browser import Browser
from web_ui.edge import (
    Edge,
    EdgeNotFoundError,
    EdgeProblemError,
    EdgeUnavailableError,
    parse,
)
from web_ui.rendering import render

router = APIRouter()

# As many as a page of trades shows; more would be a request no form of ours makes.
MAX_POSITIONS = 50
MAX_TAG_LENGTH = 50

Action = Literal["add", "remove"]


def _refusal(request: Request, message: str, status_code: int = 422) -> HTMLResponse:
    return render(
        request, "fragments/bulk_tags_result.html", {"error": message}, status_code=status_code
    )


@router.post("/trades/tags", response_class=HTMLResponse)
async def bulk_tag(request: Request, browser: Browser, edge: Edge) -> HTMLResponse:
    """Apply a tag to, or remove it from, every chosen position; answers with the outcome
    and the changed rows' tag cells."""
    form = await request.form()
    tag = str(form.get("tag") or "").strip()
    action: Action
    match form.get("action"):
        case "add":
            action = "add"
        case "remove":
            action = "remove"
        case _:
            return _refusal(request, "Choose whether to apply or remove the tag.")
    raw_ids = [value for value in form.getlist("position_id") if isinstance(value, str)]
    if not tag:
        return _refusal(request, "Enter the tag to apply or remove.")
    if len(tag) > MAX_TAG_LENGTH:
        return _refusal(request, f"Use at most {MAX_TAG_LENGTH} characters for a tag.")
    if not raw_ids:
        return _refusal(request, "Select at least one position in the table.")
    if len(raw_ids) > MAX_POSITIONS:
        return _refusal(request, f"Select at most {MAX_POSITIONS} positions at a time.")
    try:
        position_ids = list(dict.fromkeys(UUID(value) for value in raw_ids))
    except ValueError:
        return _refusal(request, "A selected position is not one of yours; reload the page.")
    change = PositionTagsChange(
        position_ids=position_ids,
        add=[tag] if action == "add" else [],
        remove=[tag] if action == "remove" else [],
    )
    try:
        answer = await edge.send(browser, "POST", "/api/v1/positions/tags", body=change)
    except EdgeNotFoundError:
        return _refusal(
            request,
            "A selected position is not one of yours or no longer exists; nothing was changed. "
            "Reload the page.",
            404,
        )
    except EdgeProblemError as exc:
        detail = exc.problem.detail or exc.problem.title
        return _refusal(request, f"{detail} Nothing was changed.", exc.problem.status)
    except EdgeUnavailableError:
        return _refusal(request, "Tradeloop could not be reached; nothing was changed.", 502)
    positions = parse(answer, PositionPage).items
    return render(
        request,
        "fragments/bulk_tags_result.html",
        {"error": None, "tag": tag, "action": action, "positions": positions},
    )
