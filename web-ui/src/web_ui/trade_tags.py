"""Bulk tagging on the trades page: one tag applied to, or removed from, chosen positions.

Core has no bulk route for tags, so each chosen position is read and then patched through
the position routes, a few at a time. A tag change made elsewhere to the same position
between that read and its patch is overwritten."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import Literal
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from tradeloop_contracts import PositionDetail, PositionUpdate

from web_ui.browser import Browser, BrowserContext
from web_ui.edge import (
    Edge,
    EdgeClient,
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
# Calls to edge in flight at once for one bulk change.
CONCURRENCY = 8

Action = Literal["add", "remove"]


@dataclass(frozen=True)
class TagChange:
    """The outcome for one position: its tags after the change, or why it was not changed."""

    position_id: UUID
    tags: list[str] | None
    changed: bool
    failure: str | None = None


def retagged(tags: list[str], tag: str, action: Action) -> list[str]:
    """`tags` with `tag` added at the end or removed; a tag is the same in any case."""
    kept = [existing for existing in tags if existing.casefold() != tag.casefold()]
    if action == "remove":
        return kept
    return tags if len(kept) < len(tags) else [*tags, tag]


def _idempotency_key(browser: BrowserContext, position_id: UUID) -> str:
    # One key per position: a browser retry repeats each patch, never two patches one key.
    given = browser.forwarded.get("idempotency-key")
    return f"{given}:{position_id}" if given else str(uuid.uuid4())


async def _change_one(
    edge: EdgeClient,
    browser: BrowserContext,
    position_id: UUID,
    tag: str,
    action: Action,
    limit: asyncio.Semaphore,
) -> TagChange:
    path = f"/api/v1/positions/{position_id}"
    async with limit:
        try:
            position = await edge.get(browser, path, PositionDetail)
            tags = retagged(position.tags, tag, action)
            if tags == position.tags:
                return TagChange(position_id, tags, changed=False)
            key = _idempotency_key(browser, position_id)
            answer = await edge.send(
                browser,
                "PATCH",
                path,
                body=PositionUpdate(tags=tags),
                headers={"idempotency-key": key},
            )
        except EdgeNotFoundError:
            return TagChange(position_id, None, changed=False, failure="not found")
        except EdgeProblemError as exc:
            failure = exc.problem.detail or exc.problem.title
            return TagChange(position_id, None, changed=False, failure=failure)
        except EdgeUnavailableError:
            failure = "Tradeloop could not be reached"
            return TagChange(position_id, None, changed=False, failure=failure)
    return TagChange(position_id, parse(answer, PositionDetail).tags, changed=True)


async def change_tags(
    edge: EdgeClient, browser: BrowserContext, position_ids: list[UUID], tag: str, action: Action
) -> list[TagChange]:
    """The outcome for each position, in the order given; failures do not stop the others."""
    limit = asyncio.Semaphore(CONCURRENCY)
    return await asyncio.gather(
        *(_change_one(edge, browser, pid, tag, action, limit) for pid in position_ids)
    )


def _refusal(request: Request, message: str) -> HTMLResponse:
    return render(request, "fragments/bulk_tags_result.html", {"error": message}, status_code=422)


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
    changes = await change_tags(edge, browser, position_ids, tag, action)
    return render(
        request,
        "fragments/bulk_tags_result.html",
        {
            "error": None,
            "tag": tag,
            "action": action,
            "changes": changes,
            "changed": sum(change.changed for change in changes),
            "failed": sum(change.failure is not None for change in changes),
        },
    )
