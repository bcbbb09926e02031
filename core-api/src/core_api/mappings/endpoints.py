"""Saved column mappings, and the preview and resubmission of an import waiting for one."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response
from tradeloop_contracts import (
    ColumnMapping,
    CsvPreview,
    ImportJob,
    SavedColumnMapping,
    SavedColumnMappingCreate,
    SavedColumnMappingList,
)

from core_api.accounts.repository import AccountRepository
from core_api.db import DbSession
from core_api.identity.dependencies import CurrentUser, ServiceCaller
from core_api.imports.service import to_job
from core_api.kit.tracing import Traceparent
from core_api.mappings import previews
from core_api.mappings.service import SavedColumnMappingRepository, save_mapping, to_saved_mapping

public = APIRouter(tags=["column mappings"])
internal = APIRouter(tags=["column mappings"])


@public.get("/v1/column-mappings")
def list_column_mappings(
    user: CurrentUser, session: DbSession, account_id: uuid.UUID | None = None
) -> SavedColumnMappingList:
    """The trader's saved column mappings, newest first, of one account when asked (404
    for an account that is not the trader's)."""
    if account_id is not None:
        AccountRepository(session, user.id).get(account_id)
    records = SavedColumnMappingRepository(session, user.id).list(account_id)
    return SavedColumnMappingList(items=[to_saved_mapping(record) for record in records])


@public.post("/v1/column-mappings", status_code=201)
def create_column_mapping(
    body: SavedColumnMappingCreate, user: CurrentUser, session: DbSession
) -> SavedColumnMapping:
    """Save a column mapping under a name for an account."""
    return to_saved_mapping(save_mapping(session, user.id, body))


@public.get("/v1/column-mappings/{mapping_id}")
def get_column_mapping(
    mapping_id: uuid.UUID, user: CurrentUser, session: DbSession
) -> SavedColumnMapping:
    """One saved column mapping."""
    return to_saved_mapping(SavedColumnMappingRepository(session, user.id).get(mapping_id))


@public.put("/v1/column-mappings/{mapping_id}")
def replace_column_mapping(
    mapping_id: uuid.UUID, body: SavedColumnMappingCreate, user: CurrentUser, session: DbSession
) -> SavedColumnMapping:
    """Replace a saved column mapping's name, account and columns."""
    record = SavedColumnMappingRepository(session, user.id).get(mapping_id)
    return to_saved_mapping(save_mapping(session, user.id, body, record))


@public.delete("/v1/column-mappings/{mapping_id}", status_code=204)
def delete_column_mapping(mapping_id: uuid.UUID, user: CurrentUser, session: DbSession) -> Response:
    """Forget a saved column mapping (imports that used it keep their copy)."""
    session.delete(SavedColumnMappingRepository(session, user.id).get(mapping_id))
    return Response(status_code=204)


@public.get("/v1/imports/{import_id}/preview")
def get_import_preview(import_id: uuid.UUID, user: CurrentUser, session: DbSession) -> CsvPreview:
    """The first rows and guessed mapping of an import waiting for its column mapping."""
    return previews.get_preview(session, user.id, import_id)


@public.post("/v1/imports/{import_id}/mapping", status_code=202)
def resubmit_import(
    import_id: uuid.UUID,
    body: ColumnMapping,
    user: CurrentUser,
    session: DbSession,
    traceparent: Traceparent,
) -> ImportJob:
    """Import the waiting file again, read with this column mapping."""
    return to_job(previews.resubmit_with_mapping(session, user.id, import_id, body, traceparent))


@internal.put("/internal/users/{user_id}/imports/{import_id}/preview", status_code=204)
def store_import_preview(
    user_id: uuid.UUID,
    import_id: uuid.UUID,
    body: CsvPreview,
    _caller: ServiceCaller,
    session: DbSession,
    traceparent: Traceparent,
) -> Response:
    """A generic CSV needs the trader's mapping: keep its preview; the import waits."""
    previews.store_preview(session, user_id, import_id, body, traceparent)
    return Response(status_code=204)
