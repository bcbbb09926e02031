"""Exporting everything a trader holds as one archive, and restoring one into an empty account."""

from __future__ import annotations

import logging
import queue
import threading
import uuid
from collections.abc import Generator, Iterator
from typing import IO, Any

import obstore
from obstore.store import ObjectStore
from sqlalchemy import Select, delete, exists, select
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from tradeloop_contracts import ArchiveRestoreResult

from core_api.accounts.models import (
    AccountRecord,
    CashMovementRecord,
    ContractSpecOverrideRecord,
    FeeRuleRecord,
)
from core_api.archive.format import (
    CHUNK_BYTES,
    ArchiveError,
    ArchiveReader,
    ArchiveWriter,
    Writable,
)
from core_api.archive.kinds import KINDS, Kind, Restore, Source
from core_api.attachments.models import AttachmentRecord
from core_api.brokers.models import BrokerConnectionRecord
from core_api.errors import AppError
from core_api.executions.models import ExecutionRecord
from core_api.identity.models import UserRecord
from core_api.imports.models import ImportRecord
from core_api.insights.models import InsightRecord
from core_api.journal.models import JournalEntryRecord
from core_api.mappings.models import SavedColumnMappingRecord
from core_api.plans.models import TradingPlanRecord
from core_api.playbooks.models import PlaybookRecord
from core_api.reviews.models import WeeklyReviewRecord
from core_api.tags.models import TagRecord

logger = logging.getLogger(__name__)

# Chunks of a download written but not yet sent, at most.
PIPE_CHUNKS = 8
# A zip may unpack to at most this many times the upload limit (raw CSVs compress well).
EXPANSION_FACTOR = 20


def export_archive(
    session: Session, store: ObjectStore, user_id: uuid.UUID, target: Writable
) -> None:
    """Writes the trader's archive into `target`, which need not seek.

    Rows are read a batch at a time and written straight into the zip, so memory stays
    bounded whatever the account holds. No secret is written: no password hash, token,
    session or broker credential is among the kinds.
    """
    writer = ArchiveWriter(target)
    try:
        source = Source(session, store, user_id)
        for kind in KINDS:
            kind.write(source, writer)
        writer.close()
    except BaseException:
        writer.abandon()
        raise


def stream_archive(
    sessions: sessionmaker[Session], store: ObjectStore, user_id: uuid.UUID
) -> Generator[bytes]:
    """The trader's archive as it is written, in chunks of about CHUNK_BYTES.

    A thread writes it in a session of its own while the caller sends what is ready, so
    the first bytes leave at once however long the whole takes, and at most PIPE_CHUNKS
    chunks wait in memory. Closing the iterator early (the client went away) stops the
    thread; an error while writing ends the iterator with that error.
    """
    pipe = _Pipe()

    def write() -> None:
        try:
            with sessions() as session:
                export_archive(session, store, user_id, pipe)
                pipe.flush()
        except BaseException as error:
            pipe.fail(error)
        else:
            pipe.finish()

    writer = threading.Thread(target=write, name="archive-export", daemon=True)
    writer.start()
    try:
        yield from pipe.chunks()
    finally:
        pipe.cancel()
        writer.join()


class _Cancelled(Exception):
    """The reader went away; the writer stops."""


class _Pipe:
    """A write-only file whose bytes a reader takes from a bounded queue, in chunks."""

    def __init__(self) -> None:
        self._queue: queue.Queue[bytes | BaseException | None] = queue.Queue(PIPE_CHUNKS)
        self._buffer = bytearray()
        self._cancelled = threading.Event()

    def write(self, data: bytes) -> int:
        self._buffer += data
        if len(self._buffer) >= CHUNK_BYTES:
            self.flush()
        return len(data)

    def flush(self) -> None:
        if self._buffer:
            self._put(bytes(self._buffer))
            self._buffer.clear()

    def close(self) -> None:
        """Nothing to release: `finish` or `fail` ends what the reader gets."""

    def finish(self) -> None:
        self._put(None)

    def fail(self, error: BaseException) -> None:
        if not isinstance(error, _Cancelled):
            self._put(error)

    def cancel(self) -> None:
        self._cancelled.set()

    def chunks(self) -> Iterator[bytes]:
        while (item := self._queue.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item

    def _put(self, item: bytes | BaseException | None) -> None:
        while not self._cancelled.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue
        raise _Cancelled()


class AccountNotEmptyError(AppError):
    def __init__(self, held: list[str]) -> None:
        super().__init__(
            409,
            "Account not empty",
            "An archive is restored only into an account that holds nothing yet; this one "
            f"holds {', '.join(held)}. Restore into a new account instead.",
        )


def restore_archive(
    session: Session,
    store: ObjectStore,
    user_id: uuid.UUID,
    archive: IO[bytes],
    max_bytes: int,
    traceparent: str | None,
) -> ArchiveRestoreResult:
    """Restores the archive into the trader's account, all of it or nothing.

    Every record gets a new id, and the records naming it the same new id. The trader's
    accounts and tags (a new trader's defaults) give way to the archive's. Positions are
    matched again from the executions, as after an import, and get back what the trader
    set on them. AccountNotEmptyError (409) when the trader holds data already;
    ArchiveError (422) naming the file, record and field of what is wrong;
    ArchiveTooLargeError (413). Files stored before a failure are removed again.
    """
    # Two restores of one trader run in turn, so the second finds the first's data.
    session.execute(select(UserRecord.id).where(UserRecord.id == user_id).with_for_update())
    held = _held(session, user_id)
    if held:
        raise AccountNotEmptyError(held)
    reader = ArchiveReader(archive, max_bytes * EXPANSION_FACTOR)
    restore = Restore(session, store, user_id, reader, traceparent)
    try:
        session.execute(delete(AccountRecord).where(AccountRecord.user_id == user_id))
        session.execute(delete(TagRecord).where(TagRecord.user_id == user_id))
        restored = {kind.name: _restored(restore, kind) for kind in KINDS}
    except BaseException:
        if restore.stored:
            obstore.delete(store, restore.stored)
        raise
    return ArchiveRestoreResult(restored=restored)


def _restored(restore: Restore, kind: Kind) -> int:
    try:
        count = kind.restore(restore)
        restore.session.flush()
    except (DataError, IntegrityError) as error:
        # What the contracts' response models do not bound, the columns do (lengths, repeats).
        logger.info("restoring %s refused by the database: %s", kind.name, type(error).__name__)
        raise ArchiveError(
            kind.name, "holds a value too long or repeated where it must be unique"
        ) from None
    return count


def _held(session: Session, user_id: uuid.UUID) -> list[str]:
    """What the trader holds beyond empty accounts and tags, in their words."""
    owned: list[tuple[str, Select[Any]]] = [
        ("executions", select(ExecutionRecord.id).where(ExecutionRecord.user_id == user_id)),
        ("imports", select(ImportRecord.id).where(ImportRecord.user_id == user_id)),
        (
            "journal entries",
            select(JournalEntryRecord.id).where(JournalEntryRecord.user_id == user_id),
        ),
        ("attachments", select(AttachmentRecord.id).where(AttachmentRecord.user_id == user_id)),
        (
            "a trading plan",
            select(TradingPlanRecord.id).where(TradingPlanRecord.user_id == user_id),
        ),
        ("insights", select(InsightRecord.id).where(InsightRecord.user_id == user_id)),
        (
            "weekly reviews",
            select(WeeklyReviewRecord.id).where(WeeklyReviewRecord.user_id == user_id),
        ),
        (
            "column mappings",
            select(SavedColumnMappingRecord.id).where(SavedColumnMappingRecord.user_id == user_id),
        ),
        ("contract specs", _of_accounts(ContractSpecOverrideRecord, user_id)),
        ("cash movements", _of_accounts(CashMovementRecord, user_id)),
        ("fee schedules", _of_accounts(FeeRuleRecord, user_id)),
        ("playbooks", select(PlaybookRecord.id).where(PlaybookRecord.user_id == user_id)),
        (
            "broker connections",
            select(BrokerConnectionRecord.id).where(BrokerConnectionRecord.user_id == user_id),
        ),
    ]
    return [what for what, statement in owned if session.scalar(select(exists(statement)))]


def _of_accounts(
    record: type[ContractSpecOverrideRecord | CashMovementRecord | FeeRuleRecord],
    user_id: uuid.UUID,
) -> Select[Any]:
    """The rows of `record` kept per account, of the trader's accounts."""
    return (
        select(record.id)
        .join(AccountRecord, AccountRecord.id == record.account_id)
        .where(AccountRecord.user_id == user_id)
    )
