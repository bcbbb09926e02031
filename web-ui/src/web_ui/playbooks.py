"""Playbooks: named setups with checklist criteria, their numbers, and a position's checklist.

The list shows each playbook's positions and adherence (core's) and its net P&L (the
coach's analytics by playbook); the stats show P&L by playbook and by criterion met or
missed. A position's page loads its playbook picker after the page, with the chosen
playbook's criteria as checkboxes.
"""

from __future__ import annotations

import asyncio
import re
from collections import defaultdict
from decimal import Decimal
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from starlette.datastructures import FormData
from tradeloop_contracts import (
    AccountList,
    Analytics,
    Playbook,
    PlaybookCreate,
    PlaybookCriterionIn,
    PlaybookList,
    PlaybookUpdate,
    Position,
    PositionDetail,
    PositionPlaybook,
    PositionPlaybookSet,
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
from web_ui.filters import AccountChoice, read_query
from web_ui.forms import STOP_FIELDS, field_errors, typed_default_stop
from web_ui.rendering import render

router = APIRouter()

# Blank criterion rows the form offers below the stored ones.
NEW_ROWS = 3
_CRITERION_LOCATION = re.compile(r"criteria\.(\d+)\.(text|id)$")


async def _analytics(
    edge: EdgeClient, browser: BrowserContext, group_by: str, chosen: AccountChoice
) -> Analytics | None:
    # The stats are the coach's: without it the page still lists and edits playbooks.
    try:
        return await edge.get(
            browser,
            "/api/v1/coach/analytics",
            Analytics,
            params={"group_by": group_by, **chosen.params()},
        )
    except (EdgeUnavailableError, EdgeProblemError, EdgeNotFoundError):
        return None


def net_by_playbook(analytics: Analytics | None) -> dict[str, list[tuple[Decimal, str]]]:
    """Each playbook name's net P&L, one (amount, currency) per currency it traded in."""
    nets: dict[str, list[tuple[Decimal, str]]] = defaultdict(list)
    for item in analytics.items if analytics is not None else []:
        for group in item.groups:
            nets[group.key].append((group.metrics.net_pnl, item.currency))
    return dict(nets)


async def _page_data(
    edge: EdgeClient, browser: BrowserContext, chosen: AccountChoice
) -> dict[str, Any]:
    """The list and the stats, of one account's positions when one is chosen."""
    playbooks, by_playbook, by_criterion, user, accounts = await asyncio.gather(
        edge.get(browser, "/api/v1/playbooks", PlaybookList, params=chosen.params()),
        _analytics(edge, browser, "playbook", chosen),
        _analytics(edge, browser, "criterion", chosen),
        signed_in_trader(edge, browser),
        edge.get(browser, "/api/v1/accounts", AccountList),
    )
    return {
        "user": user,
        "accounts": accounts.items,
        "playbooks": playbooks.items,
        "nets": net_by_playbook(by_playbook),
        "by_playbook": by_playbook,
        "by_criterion": by_criterion,
    }


def _rows(playbook: Playbook | None) -> list[dict[str, str]]:
    stored = (
        [{"id": str(item.id), "text": item.text} for item in playbook.criteria] if playbook else []
    )
    return stored + [{"id": "", "text": ""} for _ in range(NEW_ROWS)]


def _typed(form: FormData) -> tuple[dict[str, str], list[dict[str, str]]]:
    """The form's name, description and default stop, and its criterion rows (blank ones
    dropped)."""
    values = {
        name: value.strip()
        for name in ("name", "description", *STOP_FIELDS)
        if isinstance(value := form.get(name), str)
    }
    ids = [str(value) for value in form.getlist("criterion_id")]
    texts = [str(value) for value in form.getlist("criterion")]
    rows = [
        {"id": ids[index] if index < len(ids) else "", "text": text.strip()}
        for index, text in enumerate(texts)
        if text.strip()
    ]
    return values, rows


def _messages(errors: list[ProblemField]) -> tuple[dict[str, str], list[str]]:
    """Errors on the name, description and default stop fields, and the rest as sentences
    (criteria by their place in the list)."""
    fields: dict[str, str] = {}
    others: list[str] = []
    for error in errors:
        location = error.location.strip("/").replace("/", ".").removeprefix("body.")
        criterion = _CRITERION_LOCATION.search(location)
        if location in ("name", "description"):
            fields.setdefault(location, error.message)
        elif location.startswith("default_stop."):
            fields.setdefault(location.replace(".", "_"), error.message)
        elif criterion is not None:
            others.append(f"Criterion {int(criterion[1]) + 1}: {error.message}")
        else:
            others.append(error.message)
    return fields, others


def _form(
    request: Request,
    playbook: Playbook | None,
    values: dict[str, str],
    rows: list[dict[str, str]],
    errors: list[ProblemField],
    status_code: int,
) -> HTMLResponse:
    fields, others = _messages(errors)
    return render(
        request,
        "fragments/playbook_form.html",
        {
            "playbook": playbook,
            "values": values,
            "rows": rows + [{"id": "", "text": ""} for _ in range(NEW_ROWS)],
            "errors": fields,
            "form_errors": others,
        },
        status_code=status_code,
    )


def _criteria(rows: list[dict[str, str]]) -> list[PlaybookCriterionIn]:
    return [
        PlaybookCriterionIn(id=UUID(row["id"]) if row["id"] else None, text=row["text"])
        for row in rows
    ]


async def _save(
    request: Request,
    edge: EdgeClient,
    browser: BrowserContext,
    playbook: Playbook | None,
) -> Response:
    form = await request.form()
    values, rows = _typed(form)
    try:
        fields = {
            **({"name": values["name"]} if "name" in values else {}),
            "description": values.get("description") or None,
            "criteria": _criteria(rows),
            "default_stop": typed_default_stop(values),
        }
        model = PlaybookCreate if playbook is None else PlaybookUpdate
        body = model.model_validate(fields)
    except ValidationError as exc:
        return _form(request, playbook, values, rows, field_errors(exc), 422)
    except ValueError:
        refused = ProblemField(
            location="form", message="Reload the page: a criterion is not one of yours."
        )
        return _form(request, playbook, values, rows, [refused], 422)
    try:
        if playbook is None:
            await edge.send(browser, "POST", "/api/v1/playbooks", body=body)
        else:
            await edge.send(browser, "PATCH", f"/api/v1/playbooks/{playbook.id}", body=body)
    except EdgeProblemError as exc:
        errors = exc.problem.errors or [
            ProblemField(location="form", message=exc.problem.detail or exc.problem.title)
        ]
        return _form(request, playbook, values, rows, errors, exc.problem.status)
    except EdgeUnavailableError:
        unreachable = ProblemField(
            location="form", message="Not saved: Tradeloop could not be reached. Try again."
        )
        return _form(request, playbook, values, rows, [unreachable], 502)
    return Response(status_code=204, headers={"hx-redirect": "/playbooks"})


@router.get("/playbooks", response_class=HTMLResponse)
async def playbooks_page(request: Request, browser: Browser, edge: Edge) -> HTMLResponse:
    """Every playbook with its positions, adherence and net P&L (of one account or all), the
    stats, and a new one."""
    data = await _page_data(edge, browser, read_query(request, AccountChoice))
    return render(
        request,
        "playbooks.html",
        {
            **data,
            "playbook": None,
            "values": {},
            "rows": _rows(None),
            "errors": {},
            "form_errors": [],
        },
    )


@router.post("/playbooks", response_class=HTMLResponse)
async def create_playbook(request: Request, browser: Browser, edge: Edge) -> Response:
    """Create a playbook; the list reloads, or the form comes back with the refusal."""
    return await _save(request, edge, browser, None)


@router.get("/playbooks/{playbook_id}", response_class=HTMLResponse)
async def edit_playbook_page(
    request: Request, playbook_id: UUID, browser: Browser, edge: Edge
) -> HTMLResponse:
    """One playbook's edit form, archive and delete."""
    playbook, user = await asyncio.gather(
        edge.get(browser, f"/api/v1/playbooks/{playbook_id}", Playbook),
        signed_in_trader(edge, browser),
    )
    stop = playbook.default_stop
    values = {
        "name": playbook.name,
        "description": playbook.description or "",
        "default_stop_kind": stop.kind if stop else "",
        "default_stop_distance": str(stop.distance) if stop else "",
    }
    return render(
        request,
        "playbook.html",
        {
            "playbook": playbook,
            "values": values,
            "rows": _rows(playbook),
            "errors": {},
            "form_errors": [],
            "user": user,
        },
    )


@router.post("/playbooks/{playbook_id}", response_class=HTMLResponse)
async def edit_playbook(
    request: Request, playbook_id: UUID, browser: Browser, edge: Edge
) -> Response:
    """Save a playbook's name, description and criteria (kept ones keep their ticks)."""
    playbook = await edge.get(browser, f"/api/v1/playbooks/{playbook_id}", Playbook)
    return await _save(request, edge, browser, playbook)


@router.post("/playbooks/{playbook_id}/archive")
async def archive_playbook(
    request: Request, playbook_id: UUID, browser: Browser, edge: Edge
) -> Response:
    """Archive a playbook (`archived=true`) or bring it back (`archived=false`)."""
    form = await request.form()
    body = PlaybookUpdate(archived=form.get("archived") == "true")
    await edge.send(browser, "PATCH", f"/api/v1/playbooks/{playbook_id}", body=body)
    return Response(status_code=204, headers={"hx-redirect": "/playbooks"})


@router.post("/playbooks/{playbook_id}/delete")
async def delete_playbook(playbook_id: UUID, browser: Browser, edge: Edge) -> Response:
    """Delete a playbook: its positions stay, under no playbook."""
    await edge.send(browser, "DELETE", f"/api/v1/playbooks/{playbook_id}")
    return Response(status_code=204, headers={"hx-redirect": "/playbooks"})


def _checklist(
    request: Request,
    position_id: UUID,
    followed: PositionPlaybook | None,
    playbooks: list[Playbook],
    chosen: UUID | None,
    *,
    notice: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    # Archived playbooks are left out of the picker, except the one the position follows.
    current = followed.playbook_id if followed is not None else None
    offered = [p for p in playbooks if not p.archived or p.id == current]
    picked = next((p for p in offered if p.id == chosen), None)
    met = set(followed.criteria_met) if followed is not None and chosen == current else set()
    return render(
        request,
        "fragments/position_playbook.html",
        {
            "position_id": position_id,
            "followed": followed,
            "playbooks": offered,
            "picked": picked,
            "met": met,
            "notice": notice,
            "error": error,
        },
        status_code=status_code,
    )


@router.get("/positions/{position_id}/playbook", response_class=HTMLResponse)
async def position_playbook(
    request: Request,
    position_id: UUID,
    browser: Browser,
    edge: Edge,
    playbook_id: str | None = None,
) -> HTMLResponse:
    """HTMX: the position's playbook picker, with the chosen playbook's criteria as boxes."""
    position, playbooks = await asyncio.gather(
        edge.get(browser, f"/api/v1/positions/{position_id}", PositionDetail),
        edge.get(browser, "/api/v1/playbooks", PlaybookList),
    )
    followed = position.playbook
    chosen: UUID | None = followed.playbook_id if followed is not None else None
    if playbook_id is not None:
        chosen = UUID(playbook_id) if playbook_id else None
    return _checklist(request, position_id, followed, playbooks.items, chosen)


@router.post("/positions/{position_id}/playbook", response_class=HTMLResponse)
async def set_position_playbook(
    request: Request, position_id: UUID, browser: Browser, edge: Edge
) -> HTMLResponse:
    """HTMX: put the position under the chosen playbook with the ticked criteria, or none."""
    form = await request.form()
    raw = form.get("playbook_id")
    try:
        chosen = UUID(raw) if isinstance(raw, str) and raw else None
        met = [UUID(str(value)) for value in form.getlist("criteria_met")]
    except ValueError:
        chosen, met = None, []
    body = PositionPlaybookSet(playbook_id=chosen, criteria_met=met if chosen else [])
    playbooks = await edge.get(browser, "/api/v1/playbooks", PlaybookList)
    try:
        answer = await edge.send(
            browser, "PUT", f"/api/v1/positions/{position_id}/playbook", body=body
        )
    except (EdgeProblemError, EdgeNotFoundError):
        position = await edge.get(browser, f"/api/v1/positions/{position_id}", PositionDetail)
        return _checklist(
            request,
            position_id,
            position.playbook,
            playbooks.items,
            chosen,
            error="Not saved: that playbook or criterion has changed. Reload the page.",
            status_code=422,
        )
    followed = parse(answer, Position).playbook
    notice = f"Saved under {followed.name}." if followed is not None else "No playbook."
    return _checklist(request, position_id, followed, playbooks.items, chosen, notice=notice)
