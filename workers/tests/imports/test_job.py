from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path
from typing import get_args

import obstore
import pytest
from obstore.store import LocalStore
from tradeloop_contracts import (
    ColumnMapping,
    Event,
    ExecutionBatchResult,
    ImportFormat,
    UserEventData,
)
from tradeloop_contracts.bus import Bus

from tests.factories import event_of, generic_csv, import_requested
from tests.processes import is_running
from tests.stub_core import StubCore
from workers.core import CoreClient
from workers.imports.detect import PARSED_FORMATS
from workers.imports.job import ImportJob
from workers.imports.parse_process import ParseProcess
from workers.imports.storage import ObjectTooLargeError, download

pytestmark = pytest.mark.anyio
SAMPLE = Path(__file__).parent / "samples" / "generic.csv"
WEBULL_SAMPLE = Path(__file__).parent / "samples" / "webull_orders.csv"
OFX_SAMPLE = Path(__file__).parent / "samples" / "schwab_statement.ofx"


class TestImportJob:
    async def test_a_generic_csv_is_sent_in_batches_and_reported_row_by_row(
        self, core: CoreClient, stub_core: StubCore, object_store: LocalStore, parser: ParseProcess
    ) -> None:
        request = import_requested(filename="march.csv")
        stub_core.add_import(request)
        await obstore.put_async(object_store, request.object_key, SAMPLE.read_bytes())

        await ImportJob(core, object_store, parser, batch_size=2, progress_seconds=0).handle(
            event_of(request)
        )

        [outcome] = stub_core.outcomes
        assert outcome.status == "completed"
        assert (outcome.counts.new, outcome.counts.duplicate, outcome.counts.rejected) == (4, 0, 2)
        assert [(row.file, row.line, row.field) for row in outcome.rejected_rows] == [
            ("march.csv", 6, "Price"),
            ("march.csv", 7, "Date/Time"),
        ]
        assert [len(batch.executions) for batch in stub_core.batches] == [2, 2]
        assert [progress.rows_processed for progress in stub_core.progress] == [2, 4, 6]

    async def test_progress_is_reported_at_most_once_per_interval(
        self, core: CoreClient, stub_core: StubCore, object_store: LocalStore, parser: ParseProcess
    ) -> None:
        request = import_requested()
        stub_core.add_import(request)
        await obstore.put_async(object_store, request.object_key, SAMPLE.read_bytes())
        # A clock that moves 0.6 s per reading: every second batch is a second later.
        readings = iter(range(100))

        def clock() -> float:
            return next(readings) * 0.6

        job = ImportJob(core, object_store, parser, batch_size=1, progress_seconds=1.0, clock=clock)
        await job.handle(event_of(request))

        assert [progress.rows_processed for progress in stub_core.progress] == [1, 3, 5]
        assert stub_core.outcomes[-1].status == "completed"

    @pytest.mark.parametrize("in_flight", [1, 2])
    async def test_batches_travel_together_up_to_the_limit_and_are_all_counted(
        self,
        core: CoreClient,
        stub_core: StubCore,
        object_store: LocalStore,
        parser: ParseProcess,
        in_flight: int,
    ) -> None:
        request = import_requested()
        stub_core.add_import(request)
        await obstore.put_async(object_store, request.object_key, SAMPLE.read_bytes())
        stub_core.meet_batches(in_flight)

        await ImportJob(
            core, object_store, parser, batch_size=1, batches_in_flight=in_flight
        ).handle(event_of(request))

        assert stub_core.most_batches_waiting == in_flight
        [outcome] = stub_core.outcomes
        assert (outcome.counts.new, outcome.counts.duplicate, outcome.counts.rejected) == (4, 0, 2)
        assert len(stub_core.executions) == 4

    async def test_a_refused_batch_fails_the_import_counting_the_batches_stored(
        self, core: CoreClient, stub_core: StubCore, object_store: LocalStore, parser: ParseProcess
    ) -> None:
        request = import_requested()
        stub_core.add_import(request)
        await obstore.put_async(object_store, request.object_key, SAMPLE.read_bytes())
        # The first batch is refused; the second, sent before its answer was read, is stored.
        stub_core.refused_executions = {"E-1001"}

        await ImportJob(core, object_store, parser, batch_size=1, batches_in_flight=2).handle(
            event_of(request)
        )

        [outcome] = stub_core.outcomes
        assert outcome.status == "failed"
        assert outcome.error is not None
        assert outcome.error.startswith("core refused a batch of executions")
        assert outcome.counts.new == len(stub_core.executions) == 1

    @pytest.mark.parametrize(
        ("time_zone", "first_fill_utc"),
        [(None, "2024-03-04T14:31:12+00:00"), ("Asia/Tokyo", "2024-03-04T00:31:12+00:00")],
    )
    async def test_times_without_an_offset_are_read_in_the_import_s_zone(
        self,
        core: CoreClient,
        stub_core: StubCore,
        object_store: LocalStore,
        parser: ParseProcess,
        time_zone: str | None,
        first_fill_utc: str,
    ) -> None:
        request = import_requested()
        stub_core.add_import(request, time_zone=time_zone)
        await obstore.put_async(object_store, request.object_key, SAMPLE.read_bytes())

        # Without a zone of its own, the import is read in the job's default, New York.
        await ImportJob(core, object_store, parser).handle(event_of(request))

        first = min(execution.executed_at for execution in stub_core.executions.values())
        assert first.isoformat() == first_fill_utc

    async def test_core_answering_503_for_a_while_still_completes_the_import(
        self, core: CoreClient, stub_core: StubCore, object_store: LocalStore, parser: ParseProcess
    ) -> None:
        request = import_requested()
        stub_core.add_import(request)
        await obstore.put_async(object_store, request.object_key, SAMPLE.read_bytes())
        stub_core.fail_next_calls(4)

        await ImportJob(core, object_store, parser).handle(event_of(request))

        assert stub_core.outcomes[-1].status == "completed"
        assert len(stub_core.executions) == 4

    async def test_a_redelivered_event_adds_nothing(
        self, core: CoreClient, stub_core: StubCore, object_store: LocalStore, parser: ParseProcess
    ) -> None:
        request = import_requested()
        stub_core.add_import(request)
        await obstore.put_async(object_store, request.object_key, SAMPLE.read_bytes())
        event = event_of(request)
        job = ImportJob(core, object_store, parser)
        await job.handle(event)
        held = dict(stub_core.executions)

        await job.handle(event)
        # As if the worker had died before its outcome reached core: the job runs again.
        stub_core.set_import_status(request.import_id, "running")
        await job.handle(event)

        assert stub_core.executions == held
        assert len(stub_core.outcomes) == 2
        assert stub_core.outcomes[-1].counts.new == 0
        assert stub_core.outcomes[-1].counts.duplicate == 4

    async def test_a_row_repeated_with_its_id_is_held_once_and_counted_duplicate(
        self, core: CoreClient, stub_core: StubCore, object_store: LocalStore, parser: ParseProcess
    ) -> None:
        request = import_requested()
        stub_core.add_import(request)
        header, first, *rest = SAMPLE.read_text().splitlines(keepends=True)
        await obstore.put_async(
            object_store, request.object_key, "".join([header, first, *rest, first]).encode()
        )

        await ImportJob(core, object_store, parser).handle(event_of(request))

        [outcome] = stub_core.outcomes
        assert (outcome.counts.new, outcome.counts.duplicate, outcome.counts.rejected) == (4, 1, 2)
        assert len(stub_core.executions) == 4

    async def test_all_or_nothing_with_a_bad_row_sends_nothing(
        self, core: CoreClient, stub_core: StubCore, object_store: LocalStore, parser: ParseProcess
    ) -> None:
        request = import_requested(mode="all_or_nothing")
        stub_core.add_import(request)
        await obstore.put_async(object_store, request.object_key, SAMPLE.read_bytes())

        await ImportJob(core, object_store, parser).handle(event_of(request))

        [outcome] = stub_core.outcomes
        assert outcome.status == "failed"
        assert outcome.error is not None
        assert "2 of 6 rows are invalid" in outcome.error
        assert outcome.counts.rejected == 2
        assert stub_core.batches == []

    @pytest.mark.parametrize(
        ("content", "reason"),
        [
            (b"hello world\nthis is not a trade file\n", "not a recognised format"),
            (b"", "the file is empty"),
        ],
    )
    async def test_content_that_is_not_an_export_fails_with_a_clear_reason(
        self,
        core: CoreClient,
        stub_core: StubCore,
        object_store: LocalStore,
        parser: ParseProcess,
        content: bytes,
        reason: str,
    ) -> None:
        request = import_requested()
        stub_core.add_import(request)
        await obstore.put_async(object_store, request.object_key, content)

        await ImportJob(core, object_store, parser).handle(event_of(request))

        [outcome] = stub_core.outcomes
        assert outcome.status == "failed"
        assert outcome.error is not None
        assert reason in outcome.error

    async def test_a_missing_raw_file_fails_the_import(
        self, core: CoreClient, stub_core: StubCore, object_store: LocalStore, parser: ParseProcess
    ) -> None:
        request = import_requested(object_key="imports/never-stored.csv")
        stub_core.add_import(request)

        await ImportJob(core, object_store, parser).handle(event_of(request))

        assert stub_core.outcomes[0].error == "the raw file is missing from object storage"

    async def test_a_file_over_the_size_limit_is_refused_before_it_is_read(
        self,
        core: CoreClient,
        stub_core: StubCore,
        object_store: LocalStore,
        parser: ParseProcess,
        tmp_path: Path,
    ) -> None:
        request = import_requested()
        stub_core.add_import(request)
        data = SAMPLE.read_bytes()
        await obstore.put_async(object_store, request.object_key, data)

        await ImportJob(core, object_store, parser, max_file_bytes=len(data) - 1).handle(
            event_of(request)
        )

        [outcome] = stub_core.outcomes
        assert (outcome.status, outcome.counts.rejected) == ("failed", 0)
        assert outcome.error == (
            f"the file is {len(data):,} bytes, over the limit of {len(data) - 1:,} bytes: "
            "it was not read"
        )
        assert stub_core.batches == []
        target = tmp_path / "copy"
        with pytest.raises(ObjectTooLargeError):
            await download(object_store, request.object_key, target, max_bytes=len(data) - 1)
        assert not target.exists()
        assert await download(object_store, request.object_key, target, max_bytes=len(data)) == (
            len(data)
        )

    async def test_an_ofx_statement_over_its_own_limit_fails_before_it_is_parsed(
        self, core: CoreClient, stub_core: StubCore, object_store: LocalStore, parser: ParseProcess
    ) -> None:
        request = import_requested()
        stub_core.add_import(request)
        data = OFX_SAMPLE.read_bytes()
        await obstore.put_async(object_store, request.object_key, data)

        await ImportJob(core, object_store, parser, max_ofx_bytes=len(data) - 1).handle(
            event_of(request)
        )

        [outcome] = stub_core.outcomes
        assert (outcome.status, outcome.detected_format) == ("failed", "ofx")
        assert outcome.error is not None
        assert outcome.error.startswith(f"the OFX statement is {len(data):,} bytes, over")
        assert stub_core.batches == []

    async def test_a_named_format_is_parsed_as_that_format(
        self, core: CoreClient, stub_core: StubCore, object_store: LocalStore, parser: ParseProcess
    ) -> None:
        request = import_requested(file_format="webull_csv")
        stub_core.add_import(request)
        await obstore.put_async(object_store, request.object_key, WEBULL_SAMPLE.read_bytes())

        await ImportJob(core, object_store, parser).handle(event_of(request))

        [outcome] = stub_core.outcomes
        assert (outcome.status, outcome.detected_format) == ("completed", "webull_csv")
        assert (outcome.counts.new, outcome.counts.rejected) == (6, 2)

    async def test_a_saved_column_mapping_reads_a_file_detection_cannot(
        self, core: CoreClient, stub_core: StubCore, object_store: LocalStore, parser: ParseProcess
    ) -> None:
        request = import_requested()
        stub_core.add_import(request)
        mapping = ColumnMapping(
            columns={"datetime": "Datum", "symbol": "Titel", "quantity": "Stück", "price": "Kurs"},
            day_first=True,
            decimal_comma=True,
        )
        held = stub_core.imports[request.import_id]
        stub_core.imports[request.import_id] = held.model_copy(update={"mapping": mapping})
        content = "Datum;Titel;Stück;Kurs\n04.03.2024 15:31:12;SAP;1.000;175,20\n"
        await obstore.put_async(object_store, request.object_key, content.encode("latin-1"))

        await ImportJob(core, object_store, parser).handle(event_of(request))

        [outcome] = stub_core.outcomes
        assert (outcome.status, outcome.detected_format, outcome.counts.new) == (
            "completed",
            "generic_csv",
            1,
        )
        [execution] = stub_core.batches[0].executions
        assert (execution.quantity, execution.price) == (Decimal(1000), Decimal("175.20"))

    @pytest.mark.parametrize("file_format", ["auto", "generic_csv"])
    async def test_a_csv_without_known_columns_waits_for_its_mapping_with_a_preview(
        self,
        core: CoreClient,
        stub_core: StubCore,
        object_store: LocalStore,
        parser: ParseProcess,
        file_format: ImportFormat,
    ) -> None:
        request = import_requested(file_format=file_format)
        stub_core.add_import(request)
        content = "Datum;Titel;Stück;Kurs\n04.03.2024 15:31:12;SAP;1.000;175,20\n"
        await obstore.put_async(object_store, request.object_key, content.encode("latin-1"))
        job = ImportJob(core, object_store, parser)

        await job.handle(event_of(request))
        await job.handle(event_of(request))  # delivered again: the import already waits

        preview = stub_core.previews[request.import_id]
        assert (preview.delimiter, preview.header) == (";", ["Datum", "Titel", "Stück", "Kurs"])
        assert preview.rows == [["04.03.2024 15:31:12", "SAP", "1.000", "175,20"]]
        assert {guess.field: guess.column for guess in preview.guesses if guess.column} == {}
        assert (stub_core.outcomes, stub_core.batches, stub_core.progress) == ([], [], [])
        assert stub_core.import_reads[request.import_id] == 2

    async def test_markup_no_format_recognises_fails_rather_than_asking_for_columns(
        self, core: CoreClient, stub_core: StubCore, object_store: LocalStore, parser: ParseProcess
    ) -> None:
        request = import_requested()
        stub_core.add_import(request)
        content = b'<?xml version="1.0"?>\n<Report a="1,2,3"><Row b="4,5"/></Report>\n'
        await obstore.put_async(object_store, request.object_key, content)

        await ImportJob(core, object_store, parser).handle(event_of(request))

        [outcome] = stub_core.outcomes
        assert outcome.status == "failed"
        assert outcome.error is not None
        assert "not a recognised format" in outcome.error
        assert stub_core.previews == {}

    async def test_a_cancelled_import_stops_its_parse_process(
        self,
        core: CoreClient,
        stub_core: StubCore,
        object_store: LocalStore,
        parser: ParseProcess,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        request = import_requested()
        stub_core.add_import(request)
        await obstore.put_async(object_store, request.object_key, generic_csv(5_000))

        async def never_answered(*_: object) -> ExecutionBatchResult:
            await asyncio.Event().wait()
            raise AssertionError("never answered")

        # Batches wait forever, so the import is cut short half-way through its file.
        monkeypatch.setattr(core, "record_executions", never_answered)
        job = ImportJob(core, object_store, parser, batch_size=5, progress_seconds=3600)
        running = asyncio.create_task(job.handle(event_of(request)))
        async with asyncio.timeout(20):
            while not stub_core.progress:
                await asyncio.sleep(0.02)
        child = parser.pid

        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running

        assert child is not None
        assert not is_running(child)
        assert parser.pid is None
        assert stub_core.outcomes == []

    def test_every_format_of_the_contract_has_a_parser(self) -> None:
        assert set(get_args(ImportFormat)) == {"auto", *PARSED_FORMATS}

    async def test_an_import_core_no_longer_has_is_skipped(
        self, core: CoreClient, stub_core: StubCore, object_store: LocalStore, parser: ParseProcess
    ) -> None:
        await ImportJob(core, object_store, parser).handle(event_of(import_requested()))

        assert stub_core.outcomes == []


class TestImportThroughTheBus:
    async def test_a_published_request_is_imported_once_even_when_published_twice(
        self,
        core: CoreClient,
        stub_core: StubCore,
        object_store: LocalStore,
        parser: ParseProcess,
        bus: Bus,
    ) -> None:
        request = import_requested()
        stub_core.add_import(request)
        await obstore.put_async(object_store, request.object_key, SAMPLE.read_bytes())
        event = event_of(request)
        # A relay that died before its ack publishes the same event again.
        await bus.publish(event)
        await bus.publish(event)
        handled: list[str] = []
        job = ImportJob(core, object_store, parser)

        async def handle(delivered: Event[UserEventData]) -> None:
            await job.handle(delivered)
            handled.append(delivered.id)

        stop = asyncio.Event()
        consumer = asyncio.create_task(
            bus.consume(
                group="workers", consumer="one", families=["import"], handler=handle, stop=stop
            )
        )
        async with asyncio.timeout(15):
            while len(handled) < 2:
                await asyncio.sleep(0.02)
        stop.set()
        await asyncio.wait_for(consumer, 5)

        [outcome] = stub_core.outcomes
        assert (outcome.status, outcome.counts.new) == ("completed", 4)
        assert len(stub_core.executions) == 4
