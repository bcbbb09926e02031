"""Uploading files, following imports, and the workers' reports on them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Annotated

import obstore
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from tradeloop_contracts import (
    ImportDetail,
    ImportJob,
    ImportOptions,
    ImportOutcome,
    ImportPage,
    ImportProgress,
    ImportUndo,
)

from core_api.accounts.repository import AccountRepository
from core_api.db import DbSession
from core_api.errors import AppError, validation_errors
from core_api.identity.dependencies import CurrentUser, ServiceCaller
from core_api.imports import service
from core_api.imports.repository import ImportRepository
from core_api.imports.upload import receive_upload
from core_api.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT, Cursor
from core_api.kit.tracing import Traceparent
from core_api.state import State

public = APIRouter(tags=["imports"])
internal = APIRouter(tags=["imports"])


_UPLOAD_FORM = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file", "account_id"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        **ImportOptions.model_json_schema()["properties"],
                    },
                }
            }
        },
    }
}


@public.post("/v1/imports", status_code=202, openapi_extra=_UPLOAD_FORM)
async def create_import(
    request: Request,
    user: CurrentUser,
    session: DbSession,
    state: State,
    traceparent: Traceparent,
) -> ImportJob:
    """Upload a broker file; it is parsed in the background."""
    import_id = uuid.uuid4()
    key = service.object_key(user.id, import_id)
    upload = await receive_upload(request, state.store, key, state.settings.max_upload_bytes)
    try:
        options = _options(upload.fields)
        record = await run_in_threadpool(
            service.record_import,
            session,
            user.id,
            import_id,
            options,
            upload.filename,
            upload.size,
            traceparent,
        )
    except BaseException:
        await obstore.delete_async(state.store, key)
        raise
    return service.to_job(record)


def _options(fields: dict[str, str]) -> ImportOptions:
    # A form sends a field left blank as an empty string: it means "not chosen".
    known = {name: fields[name] for name in ImportOptions.model_fields if fields.get(name)}
    try:
        return ImportOptions.model_validate(known)
    except ValidationError as error:
        raise AppError(
            422, "Invalid request", errors=validation_errors(error.errors(), "form")
        ) from error


@public.get("/v1/imports")
def list_imports(
    user: CurrentUser,
    session: DbSession,
    account_id: Annotated[uuid.UUID | None, Query(description="Only this account's.")] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> ImportPage:
    """The trader's imports, newest first."""
    if account_id is not None:
        AccountRepository(session, user.id).get(account_id)
    after = Cursor.decode(cursor) if cursor else None
    records = ImportRepository(session, user.id).page(after, limit + 1, account_id)
    items = records[:limit]
    next_cursor = (
        Cursor(items[-1].created_at, items[-1].id).encode() if len(records) > limit else None
    )
    return ImportPage(items=[service.to_job(record) for record in items], next_cursor=next_cursor)


@public.get("/v1/imports/{import_id}")
def get_import(import_id: uuid.UUID, user: CurrentUser, session: DbSession) -> ImportDetail:
    """One import with its rejected rows."""
    return service.to_detail(ImportRepository(session, user.id).get(import_id))


@public.get("/v1/imports/{import_id}/raw", response_class=StreamingResponse)
def download_import(
    import_id: uuid.UUID, user: CurrentUser, session: DbSession, state: State
) -> StreamingResponse:
    """The uploaded file, byte for byte."""
    record = ImportRepository(session, user.id).get(import_id)
    result = obstore.get(state.store, record.object_key)

    def chunks() -> Iterator[bytes]:
        yield from result.stream(min_chunk_size=service.CHUNK_BYTES)

    return StreamingResponse(
        chunks(),
        media_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{record.filename}"'},
    )


@public.post("/v1/imports/{import_id}/undo")
async def undo_import(
    import_id: uuid.UUID,
    user: CurrentUser,
    state: State,
    traceparent: Traceparent,
    dry_run: bool = False,
) -> ImportUndo:
    """Remove the executions only this import brought and rebuild their positions
    (`dry_run=true`: only say what would go)."""
    # Rebuilding after a large import's removal is seconds of CPU, as settling it was.
    return await state.offload.run(service.undo_import, user.id, import_id, dry_run, traceparent)


@internal.get("/internal/users/{user_id}/imports/{import_id}")
def get_import_for_service(
    user_id: uuid.UUID, import_id: uuid.UUID, _caller: ServiceCaller, session: DbSession
) -> ImportDetail:
    """One import of a trader."""
    return service.to_detail(ImportRepository(session, user_id).get(import_id))


@internal.post("/internal/users/{user_id}/imports/{import_id}/progress", status_code=204)
def report_import_progress(
    user_id: uuid.UUID,
    import_id: uuid.UUID,
    body: ImportProgress,
    _caller: ServiceCaller,
    session: DbSession,
    traceparent: Traceparent,
) -> Response:
    """Record how far parsing got."""
    service.report_progress(session, user_id, import_id, body, traceparent)
    return Response(status_code=204)


@internal.post("/internal/users/{user_id}/imports/{import_id}/outcome", status_code=204)
async def report_import_outcome(
    user_id: uuid.UUID,
    import_id: uuid.UUID,
    body: ImportOutcome,
    _caller: ServiceCaller,
    state: State,
    traceparent: Traceparent,
) -> Response:
    """Finish an import as completed or failed, once its executions are settled."""
    # Settling a large import is seconds of CPU: it runs in a work process of its own.
    await state.offload.run(service.record_outcome, user_id, import_id, body, traceparent)
    return Response(status_code=204)
