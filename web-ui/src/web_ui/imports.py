"""Imports: the upload form, the history, live status and each import's report."""

from __future__ import annotations

import asyncio
import zoneinfo
from typing import get_args
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from tradeloop_contracts import (
    AccountList,
    ImportDetail,
    ImportFormat,
    ImportJob,
    ImportMode,
    ImportPage,
    ImportUndo,
    SavedColumnMappingList,
)

from web_ui.auth import signed_in_trader
from web_ui.browser import Browser
from web_ui.edge import Edge, EdgeProblemError, download, parse
from web_ui.filters import AccountChoice, read_query
from web_ui.rendering import render

router = APIRouter()

FORMATS: tuple[str, ...] = get_args(ImportFormat)
MODES: tuple[str, ...] = get_args(ImportMode)
# Area/City names and UTC: legacy aliases such as EST5EDT or US/Eastern would crowd the list
# (they are still accepted when typed).
_AREAS = ("Africa", "America", "Antarctica", "Asia", "Atlantic", "Australia", "Europe", "Indian")
TIME_ZONES: tuple[str, ...] = (
    "UTC",
    *sorted(
        zone
        for zone in zoneinfo.available_timezones()
        if zone.split("/", 1)[0] in (*_AREAS, "Pacific")
    ),
)


@router.get("/imports", response_class=HTMLResponse)
async def imports_page(request: Request, browser: Browser, edge: Edge) -> HTMLResponse:
    """The upload form and the import history, of one account or all."""
    chosen = read_query(request, AccountChoice)
    accounts, page, user = await asyncio.gather(
        edge.get(browser, "/api/v1/accounts", AccountList),
        edge.get(browser, "/api/v1/imports", ImportPage, params=chosen.params()),
        signed_in_trader(edge, browser),
    )
    return render(
        request,
        "imports.html",
        {
            "accounts": accounts.items,
            "imports": page.items,
            "user": user,
            "formats": FORMATS,
            "modes": MODES,
            "time_zones": TIME_ZONES,
        },
    )


@router.get("/imports/mappings", response_class=HTMLResponse)
async def saved_mappings(
    request: Request, account_id: UUID, browser: Browser, edge: Edge
) -> HTMLResponse:
    """The upload form's choice of a saved column mapping of the chosen account."""
    saved = await edge.get(
        browser,
        "/api/v1/column-mappings",
        SavedColumnMappingList,
        params={"account_id": str(account_id)},
    )
    return render(request, "fragments/import_mapping_choice.html", {"mappings": saved.items})


@router.get("/imports/history", response_class=HTMLResponse)
async def import_history(request: Request, browser: Browser, edge: Edge) -> HTMLResponse:
    """The import history table, for live reloads."""
    chosen = read_query(request, AccountChoice)
    page, user = await asyncio.gather(
        edge.get(browser, "/api/v1/imports", ImportPage, params=chosen.params()),
        signed_in_trader(edge, browser),
    )
    return render(request, "fragments/import_history.html", {"imports": page.items, "user": user})


@router.post("/imports", response_class=HTMLResponse)
async def upload(request: Request, browser: Browser, edge: Edge) -> HTMLResponse:
    """Stream the uploaded multipart form on to edge and show the queued import."""
    headers = {"content-type": request.headers.get("content-type", "")}
    if length := request.headers.get("content-length"):
        headers["content-length"] = length
    try:
        # The body is passed through chunk by chunk: a large file never sits in memory.
        answer = await edge.send(
            browser, "POST", "/api/v1/imports", content=request.stream(), headers=headers
        )
    except EdgeProblemError as exc:
        return render(
            request,
            "fragments/problem.html",
            {"problem": exc.problem},
            status_code=exc.problem.status,
        )
    job = parse(answer, ImportJob)
    return render(
        request,
        "fragments/import_status.html",
        {"job": job},
        status_code=202,
        headers={"hx-trigger": "tl-import"},
    )


@router.get("/imports/{import_id}/status", response_class=HTMLResponse)
async def import_status(
    request: Request, import_id: UUID, browser: Browser, edge: Edge
) -> HTMLResponse:
    """One import's status, for live reloads."""
    job = await edge.get(browser, f"/api/v1/imports/{import_id}", ImportDetail)
    return render(request, "fragments/import_status.html", {"job": job})


@router.get("/imports/{import_id}", response_class=HTMLResponse)
async def get_import(
    request: Request, import_id: UUID, browser: Browser, edge: Edge
) -> HTMLResponse:
    """An import's counts and every rejected row."""
    job, user = await asyncio.gather(
        edge.get(browser, f"/api/v1/imports/{import_id}", ImportDetail),
        signed_in_trader(edge, browser),
    )
    return render(request, "import_detail.html", {"job": job, "user": user})


@router.get("/imports/{import_id}/undo", response_class=HTMLResponse)
async def undo_confirmation(
    request: Request, import_id: UUID, browser: Browser, edge: Edge
) -> HTMLResponse:
    """What undoing the import would remove (a dry run), and the button that does it."""
    return await _undo(request, import_id, browser, edge, dry_run=True)


@router.post("/imports/{import_id}/undo")
async def undo_import(request: Request, import_id: UUID, browser: Browser, edge: Edge) -> Response:
    """Undo the import, then show its report again, marked undone."""
    return await _undo(request, import_id, browser, edge, dry_run=False)


async def _undo(
    request: Request, import_id: UUID, browser: Browser, edge: Edge, *, dry_run: bool
) -> HTMLResponse:
    path = f"/api/v1/imports/{import_id}/undo"
    try:
        answer = await edge.send(browser, "POST", path, params={"dry_run": str(dry_run).lower()})
    except EdgeProblemError as exc:
        return render(
            request,
            "fragments/problem.html",
            {"problem": exc.problem},
            status_code=exc.problem.status,
        )
    undo = parse(answer, ImportUndo)
    if dry_run:
        return render(request, "fragments/import_undo.html", {"undo": undo})
    return HTMLResponse(status_code=204, headers={"hx-redirect": f"/imports/{import_id}"})


@router.get("/imports/{import_id}/raw")
async def download_import_file(import_id: UUID, browser: Browser, edge: Edge) -> StreamingResponse:
    """The file as it was uploaded, streamed from edge chunk by chunk."""
    answer = await edge.stream(browser, f"/api/v1/imports/{import_id}/raw")
    return download(answer, "application/octet-stream")
