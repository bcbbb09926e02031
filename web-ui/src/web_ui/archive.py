"""Your data: download everything as one archive, or restore one into a new account."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, StreamingResponse
from tradeloop_contracts import ArchiveRestoreResult

from web_ui.browser import Browser
from web_ui.edge import Edge, EdgeProblemError, download, parse
from web_ui.rendering import render

router = APIRouter()


@router.get("/settings/export")
async def download_archive(browser: Browser, edge: Edge) -> StreamingResponse:
    """The trader's whole archive, streamed from edge chunk by chunk."""
    return download(await edge.stream(browser, "/api/v1/export"), "application/zip")


@router.post("/settings/archive", response_class=HTMLResponse)
async def restore_archive(request: Request, browser: Browser, edge: Edge) -> HTMLResponse:
    """Stream the uploaded archive on to edge and show what was restored, or why not."""
    headers = {"content-type": request.headers.get("content-type", "")}
    if length := request.headers.get("content-length"):
        headers["content-length"] = length
    try:
        # Passed through chunk by chunk, as imports are: an archive never sits in memory.
        answer = await edge.send(
            browser, "POST", "/api/v1/import-archive", content=request.stream(), headers=headers
        )
    except EdgeProblemError as exc:
        return render(
            request,
            "fragments/archive_result.html",
            {"problem": exc.problem},
            status_code=exc.problem.status,
        )
    result = parse(answer, ArchiveRestoreResult)
    restored = {kind.replace("_", " "): count for kind, count in result.restored.items() if count}
    return render(request, "fragments/archive_result.html", {"restored": restored})
