from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import pytest
from opentelemetry.trace import SpanKind
from tradeloop_contracts import Event, UserEventData
from tradeloop_contracts.bus import Bus
from tradeloop_contracts.telemetry import capture_spans

from tests.factories import event_of, import_requested
from tests.stub_core import StubCore
from workers.config import WorkersSettings
from workers.core import CoreClient
from workers.leases import open_leases
from workers.scheduler import (
    ScheduledJob,
    Scheduler,
    catalogue,
    enabled_jobs,
    report_dead_letters_of,
)

pytestmark = pytest.mark.anyio
START = dt.datetime(2024, 3, 4, 9, 30, 20, tzinfo=dt.UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now


class TestScheduler:
    async def test_a_job_runs_at_its_cron_times_on_one_copy_only(self, bus_url: str) -> None:
        runs: list[dt.datetime] = []
        clock = Clock()

        async def work() -> None:
            runs.append(clock.now)

        job = ScheduledJob("minutely", "* * * * *", work)
        leases = [open_leases(bus_url) for _ in range(3)]
        copies = [
            Scheduler([job], store, holder=f"copy-{n}", clock=clock)
            for n, store in enumerate(leases)
        ]

        assert [await copy.run_due() for copy in copies] == [[], [], []]
        clock.now = START + dt.timedelta(seconds=45)  # 09:31:05, past 09:31
        ran = [await copy.run_due() for copy in copies]
        clock.now = START + dt.timedelta(seconds=105)  # 09:32:05
        ran += [await copy.run_due() for copy in copies]
        for store in leases:
            await store.close()

        assert runs == [START + dt.timedelta(seconds=45), START + dt.timedelta(seconds=105)]
        assert sum(len(names) for names in ran) == 2

    async def test_a_failing_job_does_not_stop_the_others(self, bus_url: str) -> None:
        clock = Clock()
        done: list[str] = []

        async def fails() -> None:
            raise RuntimeError("boom")

        async def works() -> None:
            done.append("works")

        leases = open_leases(bus_url)
        scheduler = Scheduler(
            [ScheduledJob("fails", "* * * * *", fails), ScheduledJob("works", "* * * * *", works)],
            leases,
            holder=uuid.uuid4().hex,
            clock=clock,
        )
        clock.now = START + dt.timedelta(minutes=1)
        ran = await scheduler.run_due()
        await leases.close()

        assert ran == ["fails", "works"]
        assert done == ["works"]

    async def test_each_run_is_a_trace_that_its_calls_to_core_join(
        self, bus_url: str, core: CoreClient, stub_core: StubCore
    ) -> None:
        async def ask_core() -> None:
            await core.due_broker_connections()

        clock = Clock()
        leases = open_leases(bus_url)
        scheduler = Scheduler(
            [ScheduledJob("asks-core", "* * * * *", ask_core)], leases, holder="one", clock=clock
        )
        clock.now = START + dt.timedelta(minutes=1)
        with capture_spans("workers") as exporter:
            await scheduler.run_due()
        await leases.close()

        spans = exporter.get_finished_spans()
        [run] = [span for span in spans if span.name == "job asks-core"]
        # The stub core runs in this process: its own spans are left out.
        calls = [span for span in spans if span.kind == SpanKind.CLIENT]
        assert run.parent is None
        assert calls
        assert all(call.parent and call.parent.span_id == run.context.span_id for call in calls)
        [sent] = stub_core.traceparents
        assert sent is not None
        assert sent.split("-")[1] == f"{run.context.trace_id:032x}"


class TestJobCatalogue:
    async def test_jobs_that_need_future_core_routes_cannot_be_enabled(self, bus: Bus) -> None:
        known = catalogue(bus, ["workers"])
        for name in ("broker-sync", "market-data-refresh", "weekly-coach-review", "key-reseal"):
            with pytest.raises(ValueError, match=f"{name}' cannot run yet"):
                enabled_jobs(known, [name])
        with pytest.raises(ValueError, match="unknown scheduled job 'nightly'"):
            enabled_jobs(known, ["nightly"])

    async def test_the_default_setting_enables_the_dead_letter_report(self, bus: Bus) -> None:
        jobs = enabled_jobs(catalogue(bus, ["workers"]), WorkersSettings().scheduled_job_names)
        assert [job.name for job in jobs] == ["dead-letter-report"]

    async def test_the_dead_letter_report_counts_each_groups_dead_letters(
        self, bus: Bus, caplog: pytest.LogCaptureFixture
    ) -> None:
        await bus.publish(event_of(import_requested()))
        stop = asyncio.Event()

        async def fail(event: Event[UserEventData]) -> None:
            stop.set()
            raise RuntimeError(f"cannot handle {event.id}")

        await asyncio.wait_for(
            bus.consume(
                group="workers",
                consumer="one",
                families=["import"],
                handler=fail,
                stop=stop,
                max_attempts=1,
            ),
            10,
        )

        counts = await report_dead_letters_of(bus, ["workers", "ai-coach"])

        assert counts == {"workers": 1, "ai-coach": 0}
        assert "group workers holds 1 dead letters" in caplog.text
