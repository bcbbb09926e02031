"""The import job: `import.requested.v1` in, executions and an outcome reported to core."""

from __future__ import annotations

import asyncio
import logging
import tempfile
import time
from collections import deque
from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from obstore.store import ObjectStore
from tradeloop_contracts import (
    ColumnMapping,
    CsvPreview,
    Event,
    ExecutionBatch,
    ExecutionBatchResult,
    ImportCounts,
    ImportFormat,
    ImportOutcome,
    ImportProgress,
    ImportRequested,
    RejectedRow,
    UserEventData,
)
from tradeloop_contracts.telemetry import counter, histogram

from ..core import CoreClient, CoreRejectedError
from .decoding import LineTooLongError, detect_encoding, open_text, read_lines
from .detect import detect_file_format
from .generic_csv import DEFAULT_TIME_ZONE, FormatNotRecognisedError, RowProblem
from .mapping import MappingError, preview_csv
from .parse_process import ParsedChunk, ParseProcess
from .storage import ObjectTooLargeError, download

IMPORT_REQUESTED = "import.requested.v1"
MAX_REJECTED_ROWS = 10_000
# Core's default upload limit: files it accepted are never refused here.
DEFAULT_MAX_FILE_BYTES = 200 * 1024 * 1024
# OFX is parsed whole, at about 16 bytes of memory per byte of file: 32 MiB (some 130k
# transactions, far more than a statement period holds) keeps the process near 600 MiB.
DEFAULT_MAX_OFX_BYTES = 32 * 1024 * 1024
_READ_CHUNK_BYTES = 1 << 20
_NO_EXECUTIONS = '"executions":[]'
_MARKUP_PEEK_CHARS = 1024
logger = logging.getLogger(__name__)
# The import objective counts imports completed within 60 s (le="60.0"), so 60 is a bound.
IMPORT_DURATION_BUCKETS = (1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0)
IMPORT_DURATION = histogram(
    "import_duration_seconds",
    "Seconds from picking an import up to reporting its outcome, by format and outcome "
    "(completed or failed).",
    ("format", "outcome"),
    buckets=IMPORT_DURATION_BUCKETS,
)
IMPORT_ROWS = counter(
    "import_rows_total",
    "Rows of finished imports, by format: accepted (sent to core, new or duplicate) or rejected.",
    ("format", "outcome"),
)


class ImportFailedError(Exception):
    """The file cannot be imported; the message is the reason shown to the trader."""


@dataclass
class _Report:
    """What the job has done so far."""

    filename: str
    detected_format: ImportFormat | None = None
    rows_processed: int = 0
    counts: ImportCounts = field(default_factory=ImportCounts)
    rejected_rows: list[RejectedRow] = field(default_factory=list)

    def reject(self, problem: RowProblem) -> None:
        self.counts = self.counts.model_copy(update={"rejected": self.counts.rejected + 1})
        # The outcome carries at most MAX_REJECTED_ROWS rows; the count stays exact.
        if len(self.rejected_rows) < MAX_REJECTED_ROWS:
            self.rejected_rows.append(
                RejectedRow(
                    file=self.filename,
                    line=problem.line,
                    field=problem.field,
                    reason=problem.reason,
                )
            )

    def outcome(self, error: str | None = None) -> ImportOutcome:
        return ImportOutcome(
            status="failed" if error else "completed",
            detected_format=self.detected_format,
            counts=self.counts,
            rejected_rows=self.rejected_rows,
            error=error,
        )


class ImportJob:
    """Runs imports: reads the raw file, parses it in `parser`'s process, sends the
    executions to core in batches.

    Idempotent by event: a re-delivered event for an import core already finished is
    skipped, and a re-run of an unfinished one adds nothing core already holds (core
    deduplicates by broker execution id or row fingerprint).
    """

    def __init__(
        self,
        core: CoreClient,
        store: ObjectStore,
        parser: ParseProcess,
        *,
        batch_size: int = 1000,
        batches_in_flight: int = 2,
        progress_seconds: float = 1.0,
        time_zone: ZoneInfo = DEFAULT_TIME_ZONE,
        max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
        max_ofx_bytes: int = DEFAULT_MAX_OFX_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._core = core
        self._store = store
        self._parser = parser
        self._batch_size = batch_size
        self._batches_in_flight = batches_in_flight
        self._progress_seconds = progress_seconds
        self._clock = clock
        self._max_file_bytes = max_file_bytes
        self._max_ofx_bytes = max_ofx_bytes
        self._time_zone = time_zone

    async def handle(self, event: Event[UserEventData]) -> None:
        """Run the import an `import.requested.v1` event asks for; other events are ignored.

        Raises CoreError while core cannot be reached, so the bus delivers the event again.
        """
        if event.type != IMPORT_REQUESTED or not isinstance(event.data, ImportRequested):
            return
        request = event.data
        current = await self._core.get_import(request.user_id, request.import_id)
        if current is None:
            logger.warning("import %s is gone; event %s skipped", request.import_id, event.id)
            return
        if current.status in ("completed", "failed"):
            logger.info(
                "import %s already %s; event %s skipped", current.id, current.status, event.id
            )
            return
        started = time.perf_counter()
        zone = ZoneInfo(current.time_zone) if current.time_zone else self._time_zone
        outcome = await self.run(request, current.mapping, zone)
        if isinstance(outcome, CsvPreview):
            # Core stops the import until the trader chooses the columns and resubmits it.
            await self._core.store_import_preview(request.user_id, request.import_id, outcome)
            logger.info("import %s waits for its column mapping", request.import_id)
            return
        await self._core.report_outcome(request.user_id, request.import_id, outcome)
        _measure(outcome, request.format, time.perf_counter() - started)
        logger.info(
            "import %s %s: %s", request.import_id, outcome.status, outcome.error or outcome.counts
        )

    async def run(
        self,
        request: ImportRequested,
        mapping: ColumnMapping | None = None,
        time_zone: ZoneInfo | None = None,
    ) -> ImportOutcome | CsvPreview:
        """The outcome of importing the requested file; executions are sent on the way.

        A `mapping` reads a generic CSV (an import of format `auto` or `generic_csv`) with
        the trader's columns and formats; other formats ignore it. Times without an offset
        are read in the mapping's zone, else `time_zone` (the import's), else the job's
        default. Without one, a CSV whose
        header names no time, symbol, quantity and price columns the job knows gives the
        preview of its first rows instead, for the trader to choose its columns; nothing
        is sent. Raises CoreError while core cannot be reached (the caller retries the
        whole run).
        """
        report = _Report(request.filename)
        zone = time_zone or self._time_zone
        with tempfile.TemporaryDirectory(prefix="workers-import-") as folder:
            raw = Path(folder) / "raw"
            try:
                size = await download(
                    self._store, request.object_key, raw, max_bytes=self._max_file_bytes
                )
            except FileNotFoundError:
                return report.outcome(error="the raw file is missing from object storage")
            except ObjectTooLargeError as error:
                return report.outcome(error=f"{error}: it was not read")
            if size == 0:
                return report.outcome(error="the file is empty")
            encoding = await asyncio.to_thread(_detect_file_encoding, raw)
            file_format = request.format
            if mapping is not None and file_format in ("auto", "generic_csv"):
                file_format = "generic_csv"
            else:
                mapping = None
            if file_format == "auto":
                detected = await asyncio.to_thread(detect_file_format, raw, encoding)
                if detected is None:
                    if preview := await asyncio.to_thread(_preview, raw, encoding):
                        return preview
                    return report.outcome(
                        error="the file is not a recognised format: no broker export or "
                        "generic CSV header was found in its first lines"
                    )
                file_format = detected
            report.detected_format = file_format
            if file_format == "ofx" and size > self._max_ofx_bytes:
                return report.outcome(
                    error=f"the OFX statement is {size:,} bytes, over the limit of "
                    f"{self._max_ofx_bytes:,} bytes for OFX, which is read whole: export "
                    "shorter periods"
                )
            try:
                rows_total = None
                if request.mode == "all_or_nothing":
                    checked = await self._check_every_row(raw, encoding, mapping, zone, report)
                    if checked.counts.rejected:
                        return checked.outcome(
                            error=f"{checked.counts.rejected} of {checked.rows_processed} rows "
                            "are invalid and the import is all or nothing: nothing was stored"
                        )
                    rows_total = checked.rows_processed
                await self._send_valid_rows(
                    raw, encoding, mapping, zone, request, report, rows_total
                )
            except FormatNotRecognisedError as error:
                if file_format == "generic_csv" and mapping is None:
                    if preview := await asyncio.to_thread(_preview, raw, encoding):
                        return preview
                return report.outcome(error=f"the file is not a recognised format: {error}")
            except MappingError as error:
                return report.outcome(error=f"the column mapping cannot be used: {error}")
            except LineTooLongError as error:
                return report.outcome(error=f"the file is not a CSV export: {error}")
            except ImportFailedError as error:
                return report.outcome(error=str(error))
        return report.outcome()

    async def _check_every_row(
        self,
        raw: Path,
        encoding: str,
        mapping: ColumnMapping | None,
        time_zone: ZoneInfo,
        started: _Report,
    ) -> _Report:
        report = _Report(started.filename, started.detected_format)
        file_format = started.detected_format or "generic_csv"
        async with self._chunks(raw, encoding, file_format, mapping, time_zone) as chunks:
            async for chunk in chunks:
                _take_rows(report, chunk)
        return report

    async def _send_valid_rows(
        self,
        raw: Path,
        encoding: str,
        mapping: ColumnMapping | None,
        time_zone: ZoneInfo,
        request: ImportRequested,
        report: _Report,
        rows_total: int | None,
    ) -> None:
        file_format = report.detected_format or "generic_csv"
        # Up to `batches_in_flight` batches wait for core at once, so core stores one while
        # the next travels; their results are counted in the order they were sent. Every
        # batch is idempotent, so one sent again after a failure adds nothing.
        in_flight: deque[asyncio.Task[ExecutionBatchResult]] = deque()
        reported_at: float | None = None
        # The batch's body, written by its model around the executions the parse process
        # encoded: this process does no work per row.
        envelope = ExecutionBatch(
            account_id=request.account_id, import_id=request.import_id, executions=[]
        ).model_dump_json()
        before, after = (part.encode() for part in envelope.split(_NO_EXECUTIONS))
        try:
            async with self._chunks(raw, encoding, file_format, mapping, time_zone) as chunks:
                async for chunk in chunks:
                    _take_rows(report, chunk)
                    if chunk.execution_count:
                        if len(in_flight) >= self._batches_in_flight:
                            _count(report, await in_flight.popleft())
                        body = before + b'"executions":' + chunk.executions + after
                        in_flight.append(asyncio.create_task(self._send(request, body)))
                    # Progress at most once per `progress_seconds` (the first batch at
                    # once): each report is a write and an event in core.
                    now = self._clock()
                    if reported_at is None or now - reported_at >= self._progress_seconds:
                        reported_at = now
                        progress = ImportProgress(
                            detected_format=report.detected_format,
                            rows_processed=report.rows_processed,
                            rows_total=rows_total,
                        )
                        await self._core.report_progress(
                            request.user_id, request.import_id, progress
                        )
            while in_flight:
                _count(report, await in_flight.popleft())
        except BaseException as error:
            # A failed batch or call stops the import: the batches still travelling are
            # awaited and counted, as core may have stored them; a job cancelled (the
            # worker stopping) cancels them instead.
            if isinstance(error, asyncio.CancelledError):
                for task in in_flight:
                    task.cancel()
            for answer in await asyncio.gather(*in_flight, return_exceptions=True):
                if isinstance(answer, ExecutionBatchResult):
                    _count(report, answer)
            raise

    async def _send(self, request: ImportRequested, body: bytes) -> ExecutionBatchResult:
        try:
            return await self._core.record_executions(request.user_id, body)
        except CoreRejectedError as error:
            raise ImportFailedError(f"core refused a batch of executions: {error}") from error

    def _chunks(
        self,
        raw: Path,
        encoding: str,
        file_format: ImportFormat,
        mapping: ColumnMapping | None,
        time_zone: ZoneInfo,
    ) -> aclosing[AsyncGenerator[ParsedChunk, None]]:
        # Closed on leaving, so a file abandoned half-way stops its parse at once.
        return aclosing(
            self._parser.chunks(
                raw, encoding, file_format, time_zone, mapping, batch_size=self._batch_size
            )
        )


def _take_rows(report: _Report, chunk: ParsedChunk) -> None:
    report.rows_processed += chunk.rows
    for problem in chunk.problems:
        report.reject(problem)


def _count(report: _Report, result: ExecutionBatchResult) -> None:
    report.counts = report.counts.model_copy(
        update={
            "new": report.counts.new + result.inserted,
            "duplicate": report.counts.duplicate + result.duplicates,
        }
    )


def _measure(outcome: ImportOutcome, requested: ImportFormat, seconds: float) -> None:
    # Once per import, after core holds the outcome: a run cut short and delivered again
    # is counted when it finishes.
    file_format = outcome.detected_format or requested
    IMPORT_DURATION.labels(file_format, outcome.status).observe(seconds)
    accepted = outcome.counts.new + outcome.counts.duplicate
    IMPORT_ROWS.labels(file_format, "accepted").inc(accepted)
    IMPORT_ROWS.labels(file_format, "rejected").inc(outcome.counts.rejected)


def _preview(raw: Path, encoding: str) -> CsvPreview | None:
    """The preview of the file's first rows, or None when it is not a CSV at all."""
    with open_text(raw.open("rb"), encoding) as text:
        if text.read(_MARKUP_PEEK_CHARS).lstrip("\ufeff \t\r\n").startswith("<"):
            return None  # XML or SGML that no format recognised, not a CSV
        text.seek(0)
        try:
            return preview_csv(read_lines(text))
        except (FormatNotRecognisedError, LineTooLongError):
            return None


def _detect_file_encoding(raw: Path) -> str:
    with raw.open("rb") as file:
        return detect_encoding(iter(lambda: file.read(_READ_CHUNK_BYTES), b""))
