"""Screenshots on positions and journal entries: upload, thumbnails, open, delete.

edge's routes sit under their owner (`/api/v1/positions/{id}/attachments`,
`/api/v1/journal/entries/{id}/attachments`); web-ui's sit under `/attachments/{owner_kind}`
with the contracts' owner kinds, so one set of handlers serves both owners.
"""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from tradeloop_contracts import Attachment, AttachmentList

from web_ui.browser import Browser, BrowserContext
from web_ui.edge import Edge, EdgeClient, EdgeNotFoundError, EdgeProblemError
from web_ui.rendering import render

router = APIRouter()

OwnerKind = Literal["position", "journal_entry"]
EDGE_OWNERS: dict[OwnerKind, str] = {
    "position": "/api/v1/positions",
    "journal_entry": "/api/v1/journal/entries",
}
ACCEPTED_TYPES = "image/png,image/jpeg,image/webp"
# core fits each thumbnail in this square, keeping the picture's proportions.
THUMBNAIL_EDGE = 320
# What a relayed picture keeps of edge's answer; cookies and the like stay behind.
RELAYED_HEADERS = ("content-type", "content-disposition", "etag")


def edge_path(owner_kind: OwnerKind, owner_id: UUID) -> str:
    """edge's attachments collection of one owner."""
    return f"{EDGE_OWNERS[owner_kind]}/{owner_id}/attachments"


async def list_attachments(
    edge: EdgeClient, browser: BrowserContext, owner_kind: OwnerKind, owner_id: UUID
) -> AttachmentList:
    """The owner's screenshots, oldest first; raises as `EdgeClient.send` does."""
    return await edge.get(browser, edge_path(owner_kind, owner_id), AttachmentList)


def thumbnail_size(attachment: Attachment) -> tuple[int, int] | None:
    """The thumbnail's width and height in pixels, so the page does not jump while
    thumbnails load; None when core did not measure the picture."""
    if attachment.width is None or attachment.height is None:
        return None
    scale = min(1.0, THUMBNAIL_EDGE / max(attachment.width, attachment.height))
    return max(1, round(attachment.width * scale)), max(1, round(attachment.height * scale))


def render_attachments(
    request: Request,
    owner_kind: OwnerKind,
    owner_id: UUID,
    attachments: AttachmentList,
    *,
    problem: EdgeProblemError | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The screenshots section of one owner: thumbnails, delete buttons, the upload form."""
    return render(
        request,
        "fragments/attachments.html",
        {
            "owner_kind": owner_kind,
            "owner_id": owner_id,
            "attachments": attachments.items,
            "sizes": {item.id: thumbnail_size(item) for item in attachments.items},
            "problem": problem.problem if problem else None,
            "accepted_types": ACCEPTED_TYPES,
        },
        status_code=status_code,
    )


@router.get("/attachments/{owner_kind}/{owner_id}", response_class=HTMLResponse)
async def attachments_section(
    request: Request, owner_kind: OwnerKind, owner_id: UUID, browser: Browser, edge: Edge
) -> HTMLResponse:
    """The screenshots section alone."""
    attachments = await list_attachments(edge, browser, owner_kind, owner_id)
    return render_attachments(request, owner_kind, owner_id, attachments)


@router.post("/attachments/{owner_kind}/{owner_id}", response_class=HTMLResponse)
async def upload_attachment(
    request: Request, owner_kind: OwnerKind, owner_id: UUID, browser: Browser, edge: Edge
) -> HTMLResponse:
    """Stream the uploaded picture on to edge and answer with the owner's screenshots."""
    headers = {"content-type": request.headers.get("content-type", "")}
    if length := request.headers.get("content-length"):
        headers["content-length"] = length
    refusal = None
    try:
        # Passed through chunk by chunk, as imports are: core checks the picture itself.
        await edge.send(
            browser,
            "POST",
            edge_path(owner_kind, owner_id),
            content=request.stream(),
            headers=headers,
        )
    except EdgeProblemError as exc:
        refusal = exc
    attachments = await list_attachments(edge, browser, owner_kind, owner_id)
    if refusal is not None:
        return render_attachments(
            request,
            owner_kind,
            owner_id,
            attachments,
            problem=refusal,
            status_code=refusal.problem.status,
        )
    return render_attachments(request, owner_kind, owner_id, attachments, status_code=201)


@router.post(
    "/attachments/{owner_kind}/{owner_id}/{attachment_id}/delete", response_class=HTMLResponse
)
async def delete_attachment(
    request: Request,
    owner_kind: OwnerKind,
    owner_id: UUID,
    attachment_id: UUID,
    browser: Browser,
    edge: Edge,
) -> HTMLResponse:
    """Delete one screenshot and answer with the ones left."""
    try:
        await edge.send(browser, "DELETE", f"{edge_path(owner_kind, owner_id)}/{attachment_id}")
    except EdgeNotFoundError:
        pass  # already gone (a second click, another tab): the list below shows that
    attachments = await list_attachments(edge, browser, owner_kind, owner_id)
    return render_attachments(request, owner_kind, owner_id, attachments)


async def _relay_picture(edge: EdgeClient, browser: BrowserContext, path: str) -> Response:
    answer = await edge.send(browser, "GET", path, headers={"accept": "image/*"})
    headers = {name: value for name in RELAYED_HEADERS if (value := answer.headers.get(name))}
    # A picture is shown as what core says it is, never sniffed into something else.
    headers["x-content-type-options"] = "nosniff"
    headers["cache-control"] = "private, no-store"
    return Response(answer.content, headers=headers)


@router.get("/attachments/{owner_kind}/{owner_id}/{attachment_id}")
async def open_attachment(
    owner_kind: OwnerKind, owner_id: UUID, attachment_id: UUID, browser: Browser, edge: Edge
) -> Response:
    """The screenshot itself, as core stored it."""
    return await _relay_picture(edge, browser, f"{edge_path(owner_kind, owner_id)}/{attachment_id}")


@router.get("/attachments/{owner_kind}/{owner_id}/{attachment_id}/thumbnail")
async def attachment_thumbnail(
    owner_kind: OwnerKind, owner_id: UUID, attachment_id: UUID, browser: Browser, edge: Edge
) -> Response:
    """The screenshot's thumbnail (at most 320×320)."""
    return await _relay_picture(
        edge, browser, f"{edge_path(owner_kind, owner_id)}/{attachment_id}/thumbnail"
    )
