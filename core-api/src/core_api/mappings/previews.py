"""The step a generic CSV import waits in until the trader chooses its column mapping.

Workers that meet a generic CSV without a mapping store a preview of its first rows here;
the import then stops as failed with NEEDS_MAPPING (contracts have no status of its own
for it) and the trader reads the preview, chooses the mapping and resubmits the import.
"""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from tradeloop_contracts import ColumnMapping, CsvPreview, ImportFailed

from core_api.errors import AppError, FieldError, NotFoundError
from core_api.imports.models import ImportRecord
from core_api.imports.repository import ImportRepository
from core_api.imports.service import request_parsing
from core_api.kit.clock import utcnow
from core_api.mappings.models import ImportPreviewRecord
from core_api.mappings.service import SavedColumnMappingRepository, check_mapping, stored
from core_api.outbox.service import record_event

NEEDS_MAPPING = "needs_mapping: choose which column holds each field, then resubmit the import"


def store_preview(
    session: Session,
    user_id: uuid.UUID,
    import_id: uuid.UUID,
    preview: CsvPreview,
    traceparent: str | None,
) -> None:
    """Keeps the preview and stops the import waiting for a mapping (`import.failed.v1`).

    The preview names the account's saved mapping whose columns are all in the header, if
    any. NotFoundError for another trader's import; 409 for a completed one.
    """
    record = ImportRepository(session, user_id).get(import_id, for_update=True)
    if record.status == "completed":
        raise AppError(409, "Conflict", "The import is completed; it needs no mapping.")
    preview = preview.model_copy(
        update={"saved_mapping_id": _matching_saved_mapping(session, record, preview.header)}
    )
    existing = session.scalar(
        select(ImportPreviewRecord).where(ImportPreviewRecord.import_id == import_id)
    )
    if existing is None:
        session.add(
            ImportPreviewRecord(
                import_id=import_id, user_id=user_id, preview=preview.model_dump(mode="json")
            )
        )
    else:
        existing.preview = preview.model_dump(mode="json")
    if record.status != "failed":
        record.status = "failed"
        record.error = NEEDS_MAPPING
        record.finished_at = utcnow()
        record_event(
            session,
            "import.failed.v1",
            ImportFailed(user_id=user_id, import_id=import_id, reason=NEEDS_MAPPING),
            traceparent,
        )
    session.flush()


def _matching_saved_mapping(
    session: Session, record: ImportRecord, header: list[str]
) -> uuid.UUID | None:
    columns = set(header)
    for saved in SavedColumnMappingRepository(session, record.user_id).list(record.account_id):
        if set(ColumnMapping.model_validate(saved.mapping).columns.values()) <= columns:
            return saved.id
    return None


def get_preview(session: Session, user_id: uuid.UUID, import_id: uuid.UUID) -> CsvPreview:
    """The preview of an import waiting for its mapping; NotFoundError when there is none."""
    ImportRepository(session, user_id).get(import_id)
    record = session.scalar(
        select(ImportPreviewRecord).where(
            ImportPreviewRecord.import_id == import_id, ImportPreviewRecord.user_id == user_id
        )
    )
    if record is None:
        raise NotFoundError("import preview")
    return CsvPreview.model_validate(record.preview)


def resubmit_with_mapping(
    session: Session,
    user_id: uuid.UUID,
    import_id: uuid.UUID,
    mapping: ColumnMapping,
    traceparent: str | None,
) -> ImportRecord:
    """Queues the waiting import again with `mapping` and writes `import.requested.v1`.

    409 when the import does not wait for a mapping; 422 naming each mapped field whose
    column is not in the file's header.
    """
    record = ImportRepository(session, user_id).get(import_id, for_update=True)
    preview = get_waiting_preview(session, record)
    check_mapping(mapping, "body")
    header = set(preview.header)
    missing = [
        FieldError(f"body.columns.{field}", f"the file has no column named {column!r}")
        for field, column in mapping.columns.items()
        if column not in header
    ]
    if missing:
        raise AppError(
            422, "Invalid request", "Some mapped columns are not in the file.", errors=missing
        )
    record.mapping = stored(mapping)
    record.status = "queued"
    record.error = None
    record.finished_at = None
    record.rows_processed = 0
    record.rows_total = None
    session.execute(delete(ImportPreviewRecord).where(ImportPreviewRecord.import_id == import_id))
    session.flush()
    request_parsing(session, record, traceparent)
    return record


def get_waiting_preview(session: Session, record: ImportRecord) -> CsvPreview:
    preview = session.scalar(
        select(ImportPreviewRecord).where(ImportPreviewRecord.import_id == record.id)
    )
    # An undone import waits for nothing: choosing its columns would import it again.
    if preview is None or record.status != "failed" or record.undone_at is not None:
        raise AppError(409, "Conflict", "The import does not wait for a column mapping.")
    return CsvPreview.model_validate(preview.preview)
