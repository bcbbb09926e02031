"""Upload, list, download and delete the pictures attached to positions and journal entries.

Both owners get the same five routes under their own path.
"""

from __future__ import annotations

import uuid
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from obstore.store import ObjectStore
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from tradeloop_contracts import Attachment, AttachmentList

from core_api.attachments import service
from core_api.attachments.images import MAX_BYTES, ImageRefusedError
from core_api.attachments.service import Owner, OwnerKind
from core_api.db import DbSession
from core_api.errors import AppError, FieldError
from core_api.identity.dependencies import CurrentUser
from core_api.state import State

router = APIRouter(tags=["attachments"])

# Room for the multipart boundaries and headers around a file at the limit.
FORM_OVERHEAD_BYTES = 16 * 1024

_UPLOAD_FORM = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}
_PICTURE = {
    "content": {
        mime: {"schema": {"type": "string", "format": "binary"}}
        for mime in (
            "image/png",
            "image/jpeg",
            "image/webp",
        )
    }
}


async def read_upload(request: Request) -> tuple[str | None, bytes]:
    """The name and bytes of the form's `file` part, read no further than the limit allows.

    ImageRefusedError (413) when `Content-Length` already says the file is too large; a
    422 problem naming `form.file` when there is no file part.
    """
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_BYTES + FORM_OVERHEAD_BYTES:
        raise ImageRefusedError(f"is larger than {MAX_BYTES} bytes", "form.file", status=413)
    async with request.form(max_files=1, max_fields=4) as form:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise AppError(
                422, "Invalid request", errors=[FieldError("form.file", "a file is required")]
            )
        # One byte past the limit is enough to refuse the file as too large.
        return upload.filename, await upload.read(MAX_BYTES + 1)


def serve_picture(
    request: Request, store: ObjectStore, key: str, content_type: str, filename: str, etag: str
) -> Response:
    """The stored picture as itself: never sniffed as another type, inert if opened directly.

    A stored picture never changes under its id, so its ETag comes from the id; a request
    that already holds it (`If-None-Match`) gets a 304 and nothing is read.
    """
    tag = f'"{etag}"'
    held = (value.strip() for value in request.headers.get("if-none-match", "").split(","))
    if tag in held:
        return Response(status_code=304, headers={"ETag": tag})
    fallback = "".join(ch if ch.isascii() and ch not in '"\\' else "_" for ch in filename)
    return Response(
        service.read_file(store, key),
        media_type=content_type,
        headers={
            "Content-Disposition": (
                f"inline; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
            ),
            "ETag": tag,
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


def _add_routes(kind: OwnerKind, path: str, noun: str) -> None:
    @router.post(
        f"{path}/attachments",
        status_code=201,
        openapi_extra=_UPLOAD_FORM,
        operation_id=f"upload_{kind}_attachment",
        summary=f"Attach a picture to a {noun}",
    )
    async def upload(
        owner_id: uuid.UUID, request: Request, user: CurrentUser, session: DbSession, state: State
    ) -> Attachment:
        filename, data = await read_upload(request)
        record = await run_in_threadpool(
            service.add_attachment,
            session,
            state.store,
            user.id,
            Owner(kind, owner_id),
            filename,
            data,
        )
        return service.to_attachment(record)

    @router.get(
        f"{path}/attachments",
        operation_id=f"list_{kind}_attachments",
        summary=f"The pictures attached to a {noun}, oldest first",
    )
    def list_all(owner_id: uuid.UUID, user: CurrentUser, session: DbSession) -> AttachmentList:
        records = service.list_attachments(session, user.id, Owner(kind, owner_id))
        return AttachmentList(items=[service.to_attachment(record) for record in records])

    @router.get(
        f"{path}/attachments/{{attachment_id}}",
        response_class=Response,
        responses={200: _PICTURE},
        operation_id=f"download_{kind}_attachment",
        summary="The picture as stored (without its metadata)",
    )
    def download(
        request: Request,
        owner_id: uuid.UUID,
        attachment_id: uuid.UUID,
        user: CurrentUser,
        session: DbSession,
        state: State,
    ) -> Response:
        record = service.get_attachment(session, user.id, Owner(kind, owner_id), attachment_id)
        return serve_picture(
            request,
            state.store,
            record.object_key,
            record.content_type,
            record.filename,
            str(record.id),
        )

    @router.get(
        f"{path}/attachments/{{attachment_id}}/thumbnail",
        response_class=Response,
        responses={200: _PICTURE},
        operation_id=f"download_{kind}_attachment_thumbnail",
        summary="The picture's thumbnail, at most 320×320",
    )
    def thumbnail(
        request: Request,
        owner_id: uuid.UUID,
        attachment_id: uuid.UUID,
        user: CurrentUser,
        session: DbSession,
        state: State,
    ) -> Response:
        record = service.get_attachment(session, user.id, Owner(kind, owner_id), attachment_id)
        return serve_picture(
            request,
            state.store,
            record.thumbnail_key,
            record.thumbnail_content_type,
            record.filename,
            f"{record.id}-thumbnail",
        )

    @router.delete(
        f"{path}/attachments/{{attachment_id}}",
        status_code=204,
        operation_id=f"delete_{kind}_attachment",
        summary="Delete an attachment and its files",
    )
    def delete(
        owner_id: uuid.UUID,
        attachment_id: uuid.UUID,
        user: CurrentUser,
        session: DbSession,
        state: State,
    ) -> Response:
        record = service.get_attachment(session, user.id, Owner(kind, owner_id), attachment_id)
        service.delete_attachment(session, state.store, record)
        return Response(status_code=204)


_add_routes("position", "/v1/positions/{owner_id}", "position")
_add_routes("journal_entry", "/v1/journal/entries/{owner_id}", "journal entry")
