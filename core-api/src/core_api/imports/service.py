"""Recording uploads, and the progress and outcome workers report."""

from __future__ import annotations

import re
import uuid

from sqlalchemy.orm import Session
from tradeloop_contracts import (
    ImportCompleted,
    ImportCounts,
    ImportDetail,
    ImportFailed,
    ImportJob,
    ImportOptions,
    ImportOutcome,
    ImportProgress,
    ImportProgressed,
    ImportRequested,
    ImportUndo,
    ImportUndone,
    RejectedRow,
)

from core_api.accounts.repository import AccountRepository
from core_api.accounts.service import is_time_zone
from core_api.errors import AppError, FieldError
from core_api.executions.service import discard_import, settle_import, undo_executions
from core_api.imports.models import FINISHED, ImportRecord
from core_api.imports.repository import ImportRepository
from core_api.kit.clock import utcnow
from core_api.mappings.service import mapping_for_import
from core_api.outbox.service import record_event

CHUNK_BYTES = 1024 * 1024


def object_key(user_id: uuid.UUID, import_id: uuid.UUID) -> str:
    return f"imports/{user_id}/{import_id}/raw"


def safe_filename(filename: str | None) -> str:
    """The file's base name with anything but letters, digits, dot, dash and underscore replaced."""
    base = (filename or "upload").replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "_", base).strip("._") or "upload"
    return cleaned[:255]


def record_import(
    session: Session,
    user_id: uuid.UUID,
    import_id: uuid.UUID,
    options: ImportOptions,
    filename: str | None,
    size: int,
    traceparent: str | None,
) -> ImportRecord:
    """Records the job of a stored upload and writes `import.requested.v1` with it.

    The file's times without an offset are read in the chosen zone, else in the
    account's. NotFoundError for another trader's account or saved column mapping; a 422
    problem for an unknown zone.
    """
    account = AccountRepository(session, user_id).get(options.account_id)
    if options.time_zone is not None and not is_time_zone(options.time_zone):
        raise AppError(
            422, "Invalid request", errors=[FieldError("form.time_zone", "not an IANA time zone")]
        )
    mapping = (
        mapping_for_import(session, user_id, options.account_id, options.mapping_id)
        if options.mapping_id is not None
        else None
    )
    key = object_key(user_id, import_id)
    record = ImportRepository(session, user_id).add(
        ImportRecord(
            id=import_id,
            account_id=options.account_id,
            filename=safe_filename(filename),
            object_key=key,
            format=options.format,
            mode=options.mode,
            status="queued",
            size_bytes=size,
            mapping=mapping,
            time_zone=options.time_zone or account.time_zone,
        )
    )
    request_parsing(session, record, traceparent)
    return record


def request_parsing(session: Session, record: ImportRecord, traceparent: str | None) -> None:
    """Writes `import.requested.v1`: workers parse the stored file of the queued import."""
    record_event(
        session,
        "import.requested.v1",
        ImportRequested(
            user_id=record.user_id,
            import_id=record.id,
            account_id=record.account_id,
            object_key=record.object_key,
            filename=record.filename,
            format=record.format,
            mode=record.mode,
        ),
        traceparent,
    )


def report_progress(
    session: Session,
    user_id: uuid.UUID,
    import_id: uuid.UUID,
    progress: ImportProgress,
    traceparent: str | None,
) -> None:
    """Marks the import running and writes `import.progressed.v1`; finished ones stay as is."""
    record = ImportRepository(session, user_id).get(import_id, for_update=True)
    if record.status in FINISHED:
        return
    record.status = "running"
    record.rows_processed = progress.rows_processed
    record.rows_total = progress.rows_total
    if progress.detected_format is not None:
        record.detected_format = progress.detected_format
    record_event(
        session,
        "import.progressed.v1",
        ImportProgressed(
            user_id=user_id,
            import_id=import_id,
            rows_processed=progress.rows_processed,
            rows_total=progress.rows_total,
        ),
        traceparent,
    )


def record_outcome(
    session: Session,
    user_id: uuid.UUID,
    import_id: uuid.UUID,
    outcome: ImportOutcome,
    traceparent: str | None,
) -> None:
    """Settles what the import stored, then finishes it with `import.completed.v1` or
    `import.failed.v1`, all in one transaction.

    An all-or-nothing import that failed keeps none of its executions instead. Settling
    takes seconds for a large import (see `settle_import`). A repeated outcome for a
    finished import changes nothing, so workers may retry, also while the first is still
    settling (it waits for it). NotFoundError for another trader's import.
    """
    record = ImportRepository(session, user_id).get(import_id, for_update=True)
    if record.status in FINISHED:
        return
    counts = outcome.counts
    if outcome.status == "failed" and record.mode == "all_or_nothing":
        discard_import(session, record, traceparent)
        counts = counts.model_copy(update={"new": 0})
    else:
        settle_import(session, record, traceparent)
    record.status = outcome.status
    record.detected_format = outcome.detected_format or record.detected_format
    record.new_count = counts.new
    record.duplicate_count = counts.duplicate
    record.rejected_count = counts.rejected
    record.rejected_rows = [row.model_dump(mode="json") for row in outcome.rejected_rows]
    record.error = outcome.error
    record.finished_at = utcnow()
    if outcome.status == "completed":
        record_event(
            session,
            "import.completed.v1",
            ImportCompleted(
                user_id=user_id,
                import_id=import_id,
                detected_format=outcome.detected_format,
                counts=counts,
            ),
            traceparent,
        )
    else:
        record_event(
            session,
            "import.failed.v1",
            ImportFailed(
                user_id=user_id, import_id=import_id, reason=outcome.error or "the import failed"
            ),
            traceparent,
        )


def undo_import(
    session: Session,
    user_id: uuid.UUID,
    import_id: uuid.UUID,
    dry_run: bool,
    traceparent: str | None,
) -> ImportUndo:
    """Removes what only the import brought (see `undo_executions`), marks it undone and
    writes `import.undone.v1`; its raw file and its row in the history stay.

    With `dry_run` it says what undo would remove and changes nothing. A 409 problem for
    an import still running or already undone; NotFoundError for another trader's import.
    """
    record = ImportRepository(session, user_id).get(import_id, for_update=not dry_run)
    if record.status not in FINISHED:
        raise AppError(409, "Conflict", "The import is still running; undo it once it finished.")
    if record.undone_at is not None:
        raise AppError(409, "Conflict", "The import was already undone.")
    undo = undo_executions(session, record, traceparent, dry_run=dry_run)
    if not dry_run:
        record.undone_at = utcnow()
        record_event(
            session,
            "import.undone.v1",
            ImportUndone(
                user_id=user_id,
                import_id=import_id,
                account_id=record.account_id,
                executions_removed=undo.executions_removed,
            ),
            traceparent,
        )
    return undo


def to_job(record: ImportRecord) -> ImportJob:
    return ImportJob.model_validate(_job_fields(record))


def to_detail(record: ImportRecord) -> ImportDetail:
    return ImportDetail.model_validate(
        {
            **_job_fields(record),
            "rejected_rows": [RejectedRow.model_validate(row) for row in record.rejected_rows],
        }
    )


def _job_fields(record: ImportRecord) -> dict[str, object]:
    return {
        "id": record.id,
        "account_id": record.account_id,
        "filename": record.filename,
        "format": record.format,
        "detected_format": record.detected_format,
        "mode": record.mode,
        "status": record.status,
        "size_bytes": record.size_bytes,
        "counts": ImportCounts(
            new=record.new_count,
            duplicate=record.duplicate_count,
            rejected=record.rejected_count,
        ),
        "error": record.error,
        "mapping": record.mapping,
        # A column mapping's own zone is the one its CSV is read in.
        "time_zone": (record.mapping or {}).get("time_zone") or record.time_zone,
        "created_at": record.created_at,
        "finished_at": record.finished_at,
        "undone_at": record.undone_at,
    }
