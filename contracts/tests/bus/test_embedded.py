import asyncio
import contextlib
import multiprocessing
import multiprocessing.synchronize
import sqlite3
import uuid
from multiprocessing.queues import Queue
from pathlib import Path

from tradeloop_contracts import Event, ImportRequested, PlanUpdated, UserEventData, make_event
from tradeloop_contracts.bus import open_bus

DEADLINE = 30.0
PER_PUBLISHER = 30


def _event() -> Event[UserEventData]:
    data = ImportRequested(
        user_id=uuid.uuid4(),
        import_id=uuid.uuid4(),
        account_id=uuid.uuid4(),
        object_key="imports/a.csv",
        filename="a.csv",
        format="generic_csv",
        mode="valid_only",
    )
    return make_event("import.requested.v1", data, source="/core-api")


def publish_in_process(url: str, published: "Queue[str]") -> None:
    async def publish() -> None:
        bus = open_bus(url)
        for _ in range(PER_PUBLISHER):
            event = _event()
            await bus.publish(event)
            published.put(event.id)
        await bus.close()

    asyncio.run(publish())


def consume_in_process(
    url: str, name: str, done: multiprocessing.synchronize.Event, handled: "Queue[str]"
) -> None:
    async def consume() -> None:
        bus = open_bus(url)
        stop = asyncio.Event()

        async def handle(event: Event[UserEventData]) -> None:
            handled.put(event.id)

        async def stop_when_done() -> None:
            while not done.is_set():
                await asyncio.sleep(0.02)
            stop.set()

        watcher = asyncio.create_task(stop_when_done())
        await bus.consume(
            group="workers", consumer=name, families=["import"], handler=handle, stop=stop, batch=1
        )
        await watcher
        await bus.close()

    asyncio.run(consume())


class TestSharedByProcesses:
    async def test_processes_sharing_the_file_see_every_event_once_per_group(
        self, tmp_path: Path
    ) -> None:
        url = f"sqlite:///{tmp_path}/bus.db"
        context = multiprocessing.get_context("spawn")
        published: Queue[str] = context.Queue()
        handled: Queue[str] = context.Queue()
        done = context.Event()
        processes = [
            context.Process(target=consume_in_process, args=(url, f"c{i}", done, handled))
            for i in range(2)
        ] + [context.Process(target=publish_in_process, args=(url, published)) for _ in range(2)]
        for process in processes:
            process.start()
        total = 2 * PER_PUBLISHER
        try:
            published_ids = [
                await asyncio.to_thread(published.get, timeout=DEADLINE) for _ in range(total)
            ]
            handled_ids = [
                await asyncio.to_thread(handled.get, timeout=DEADLINE) for _ in range(total)
            ]
            tail = open_bus(url).tail(["import"], after="import:0")
            tailed = [
                (await asyncio.wait_for(anext(tail), DEADLINE)).event.id for _ in range(total)
            ]
        finally:
            done.set()
            for process in processes:
                await asyncio.to_thread(process.join, DEADLINE)
        assert [process.exitcode for process in processes] == [0, 0, 0, 0]
        assert sorted(handled_ids) == sorted(published_ids)
        assert sorted(tailed) == sorted(published_ids)
        assert handled.empty()


def _plan_updated() -> Event[UserEventData]:
    data = PlanUpdated(user_id=uuid.uuid4(), plan_id=uuid.uuid4(), version=1)
    return make_event("plan.updated.v1", data, source="/core-api")


async def _kept(url: str, families: list[str]) -> list[str]:
    bus = open_bus(url)
    tail = bus.tail(families, after="import:0")
    kept: list[str] = []
    with contextlib.suppress(TimeoutError):
        while True:
            kept.append((await asyncio.wait_for(anext(tail), 0.3)).event.id)
    await bus.close()
    return kept


class TestStreamCap:
    async def test_each_family_keeps_its_newest_events_across_reopening(
        self, tmp_path: Path
    ) -> None:
        url = f"sqlite:///{tmp_path}/bus.db"
        imports = [_event() for _ in range(5)]
        plans = [_plan_updated() for _ in range(2)]
        bus = open_bus(url, stream_max_length=3)
        for event in [*imports[:3], plans[0], *imports[3:4]]:
            await bus.publish(event)
        await bus.close()
        reopened = open_bus(url, stream_max_length=3)
        for event in [imports[4], plans[1]]:
            await reopened.publish(event)
        await reopened.close()

        assert await _kept(url, ["import"]) == [event.id for event in imports[2:]]
        assert await _kept(url, ["plan"]) == [event.id for event in plans]

    async def test_a_file_written_before_lengths_were_kept_is_counted_when_opened(
        self, tmp_path: Path
    ) -> None:
        url = f"sqlite:///{tmp_path}/bus.db"
        events = [_event() for _ in range(6)]
        bus = open_bus(url)
        for event in events[:5]:
            await bus.publish(event)
        await bus.close()
        with contextlib.closing(sqlite3.connect(tmp_path / "bus.db", isolation_level=None)) as db:
            db.execute("DROP TABLE stream_lengths")
        reopened = open_bus(url, stream_max_length=3)
        await reopened.publish(events[5])
        await reopened.close()

        assert await _kept(url, ["import"]) == [event.id for event in events[3:]]


class TestSeveralFamilies:
    async def test_a_consumer_of_several_families_gets_them_in_publication_order(
        self, tmp_path: Path
    ) -> None:
        bus = open_bus(f"sqlite:///{tmp_path}/bus.db")
        events = [_event(), _plan_updated(), _plan_updated(), _event(), _event(), _plan_updated()]
        for event in events:
            await bus.publish(event)
        seen: list[str] = []
        stop = asyncio.Event()

        async def handle(event: Event[UserEventData]) -> None:
            seen.append(event.id)
            if len(seen) == len(events):
                stop.set()

        await asyncio.wait_for(
            bus.consume(
                group="edge",
                consumer="c1",
                families=["plan", "import"],
                handler=handle,
                stop=stop,
                batch=2,
            ),
            DEADLINE,
        )
        await bus.close()

        assert seen == [event.id for event in events]
