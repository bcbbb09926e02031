"""Downloading everything as one archive, and restoring one into an empty account."""

from __future__ import annotations

import tempfile
import uuid

import obstore
from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool
from tradeloop_contracts import ArchiveRestoreResult

from core_api.archive import service
from core_api.archive.format import SPOOL_BYTES
from core_api.db import DbSession
from core_api.identity.dependencies import CurrentUser
from core_api.imports.upload import receive_upload
from core_api.kit.clock import utcnow
from core_api.kit.tracing import Traceparent
from core_api.state import State

router = APIRouter(tags=["archive"])

_ARCHIVE = {"content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}}}
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


@router.get("/v1/export", response_class=StreamingResponse, responses={200: _ARCHIVE})
def export_archive(user: CurrentUser, state: State) -> StreamingResponse:
    """Everything the trader holds as one zip of JSON Lines and CSV files."""
    name = f"tradeloop-{utcnow():%Y-%m-%d}.zip"
    return StreamingResponse(
        service.stream_archive(state.sessions, state.store, user.id),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post("/v1/import-archive", openapi_extra=_UPLOAD_FORM)
async def import_archive(
    request: Request,
    user: CurrentUser,
    session: DbSession,
    state: State,
    traceparent: Traceparent,
) -> ArchiveRestoreResult:
    """Restore an exported archive into an account that holds nothing yet."""
    key = f"archives/{user.id}/{uuid.uuid4()}.zip"
    limit = state.settings.max_upload_bytes
    await receive_upload(request, state.store, key, limit)
    try:
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as archive:
            async for chunk in await obstore.get_async(state.store, key):
                archive.write(chunk)
            archive.seek(0)
            return await run_in_threadpool(
                service.restore_archive,
                session,
                state.store,
                user.id,
                archive,
                limit,
                traceparent,
            )
    finally:
        await obstore.delete_async(state.store, key)
