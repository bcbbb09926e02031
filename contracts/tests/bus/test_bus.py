import asyncio
import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable

import pytest

from tradeloop_contracts import (
    Event,
    ImportFailed,
    ImportRequested,
    PlanUpdated,
    UserEventData,
    make_event,
)
from tradeloop_contracts.bus import Bus, DeadLetter, DeadLetterNotFoundError, Delivery, open_bus

USER = uuid.uuid4()
# Short enough to keep the suite fast, long enough for a slow CI machine.
DEADLINE = 10.0


def requested() -> Event[UserEventData]:
    data = ImportRequested(
        user_id=USER,
        import_id=uuid.uuid4(),
        account_id=uuid.uuid4(),
        object_key="imports/a.csv",
        filename="a.csv",
        format="generic_csv",
        mode="valid_only",
    )
    return make_event("import.requested.v1", data, source="/core-api")


def failed() -> Event[UserEventData]:
    data = ImportFailed(user_id=USER, import_id=uuid.uuid4(), reason="empty file")
    return make_event("import.failed.v1", data, source="/core-api")


def plan_updated() -> Event[UserEventData]:
    return make_event(
        "plan.updated.v1",
        PlanUpdated(user_id=USER, plan_id=uuid.uuid4(), version=1),
        source="/core-api",
    )


class Consumer:
    """Runs `consume` in the background and records what the handler saw."""

    def __init__(
        self,
        bus: Bus,
        *,
        group: str = "workers",
        name: str = "c1",
        families: tuple[str, ...] = ("import",),
        handler: Callable[[Event[UserEventData]], Awaitable[None]] | None = None,
        max_attempts: int = 3,
        visibility_timeout: float = 1.0,
        batch: int = 10,
    ) -> None:
        self.seen: list[Event[UserEventData]] = []
        self.stop = asyncio.Event()
        self._handler = handler
        self.task = asyncio.create_task(
            bus.consume(
                group=group,
                consumer=name,
                families=families,
                handler=self._handle,
                stop=self.stop,
                max_attempts=max_attempts,
                visibility_timeout=visibility_timeout,
                batch=batch,
            )
        )

    async def _handle(self, event: Event[UserEventData]) -> None:
        self.seen.append(event)
        if self._handler is not None:
            await self._handler(event)

    async def finish(self) -> None:
        self.stop.set()
        await asyncio.wait_for(self.task, DEADLINE)


async def eventually(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


class TestPublishAndConsume:
    async def test_a_published_event_reaches_the_handler_parsed(self, bus: Bus) -> None:
        event = requested()
        position = await bus.publish(event)
        consumer = Consumer(bus)
        await eventually(lambda: len(consumer.seen) == 1)
        await consumer.finish()
        assert position.startswith("import:")
        assert isinstance(consumer.seen[0].data, ImportRequested)
        assert consumer.seen[0] == event

    async def test_events_of_other_families_are_not_delivered(self, bus: Bus) -> None:
        await bus.publish(plan_updated())
        wanted = requested()
        await bus.publish(wanted)
        consumer = Consumer(bus)
        await eventually(lambda: len(consumer.seen) == 1)
        await asyncio.sleep(0.2)
        await consumer.finish()
        assert [event.id for event in consumer.seen] == [wanted.id]

    async def test_an_acknowledged_event_is_not_delivered_again(self, bus: Bus) -> None:
        await bus.publish(requested())
        first = Consumer(bus, visibility_timeout=0.2)
        await eventually(lambda: len(first.seen) == 1)
        await first.finish()
        second = Consumer(bus, name="c2", visibility_timeout=0.2)
        await asyncio.sleep(0.6)
        await second.finish()
        assert second.seen == []
        assert await bus.dead_letters("workers") == []

    async def test_each_group_gets_every_event(self, bus: Bus) -> None:
        events = [requested(), failed()]
        for event in events:
            await bus.publish(event)
        workers = Consumer(bus, group="workers")
        coach = Consumer(bus, group="ai-coach")
        await eventually(lambda: len(workers.seen) == 2 and len(coach.seen) == 2)
        await workers.finish()
        await coach.finish()
        assert [e.id for e in workers.seen] == [e.id for e in events]
        assert [e.id for e in coach.seen] == [e.id for e in events]

    async def test_bad_arguments_are_refused_before_anything_is_read(self, bus: Bus) -> None:
        with pytest.raises(ValueError, match="families"):
            await bus.consume(
                group="g", consumer="c", families="import", handler=_ignore, stop=asyncio.Event()
            )
        with pytest.raises(ValueError, match="max_attempts"):
            await bus.consume(
                group="g",
                consumer="c",
                families=["import"],
                handler=_ignore,
                stop=asyncio.Event(),
                max_attempts=0,
            )


async def _ignore(event: Event[UserEventData]) -> None:
    del event


class TestFailures:
    async def test_a_failing_event_is_retried_then_dead_lettered_while_others_flow(
        self, bus: Bus
    ) -> None:
        poison = requested()
        others = [requested() for _ in range(3)]
        poison_position = await bus.publish(poison)
        for event in others:
            await bus.publish(event)

        async def handler(event: Event[UserEventData]) -> None:
            if event.id == poison.id:
                raise RuntimeError("cannot parse the file")

        consumer = Consumer(bus, handler=handler, max_attempts=3, visibility_timeout=0.6)
        other_ids = {e.id for e in others}
        await eventually(lambda: other_ids <= {e.id for e in consumer.seen})
        poison_tries_when_others_were_done = [e.id for e in consumer.seen].count(poison.id)
        [letter] = await _dead_letters_soon(bus, "workers")
        await consumer.finish()

        assert poison_tries_when_others_were_done < 3
        assert [e.id for e in consumer.seen].count(poison.id) == 3
        assert letter.position == poison_position
        assert letter.attempts == 3
        assert letter.error == "RuntimeError: cannot parse the file"
        assert letter.group == "workers"
        assert Event[UserEventData].model_validate_json(letter.payload).id == poison.id

    async def test_a_replayed_dead_letter_is_delivered_again(self, bus: Bus) -> None:
        poison = requested()
        await bus.publish(poison)
        broken = True

        async def handler(event: Event[UserEventData]) -> None:
            del event
            if broken:
                raise RuntimeError("core is down")

        consumer = Consumer(bus, handler=handler, max_attempts=2, visibility_timeout=0.6)
        [letter] = await _dead_letters_soon(bus, "workers")
        broken = False
        await bus.replay("workers", letter.id)
        await eventually(lambda: len(consumer.seen) == 3)
        await asyncio.sleep(0.2)
        await consumer.finish()
        assert {e.id for e in consumer.seen} == {poison.id}
        assert await bus.dead_letters("workers") == []
        with pytest.raises(DeadLetterNotFoundError):
            await bus.replay("workers", letter.id)

    async def test_replay_reaches_only_the_group_that_gave_up(self, bus: Bus) -> None:
        event = requested()
        await bus.publish(event)
        other = Consumer(bus, group="ai-coach")
        await eventually(lambda: len(other.seen) == 1)

        async def refuse(_: Event[UserEventData]) -> None:
            raise RuntimeError("no")

        failing = Consumer(bus, handler=refuse, max_attempts=1)
        [letter] = await _dead_letters_soon(bus, "workers")
        await bus.replay("workers", letter.id)
        [again] = await _dead_letters_soon(bus, "workers")
        await failing.finish()
        await other.finish()
        assert again.id != letter.id
        assert len(other.seen) == 1

    async def test_an_unreadable_event_goes_straight_to_dead_letters(self, bus: Bus) -> None:
        unknown = requested().model_copy(update={"type": "import.exploded.v1"})
        position = await bus.publish(unknown)
        readable = requested()
        await bus.publish(readable)
        consumer = Consumer(bus)
        [letter] = await _dead_letters_soon(bus, "workers")
        await eventually(lambda: len(consumer.seen) == 1)
        await consumer.finish()
        assert [e.id for e in consumer.seen] == [readable.id]
        assert letter.position == position
        assert letter.attempts == 1
        assert "import.exploded.v1" in letter.error

    async def test_replaying_an_unknown_dead_letter_says_so(self, bus: Bus) -> None:
        with pytest.raises(DeadLetterNotFoundError):
            await bus.replay("workers", "12345-0")


async def _dead_letters_soon(bus: Bus, group: str) -> list[DeadLetter]:
    deadline = time.monotonic() + DEADLINE
    while not (letters := await bus.dead_letters(group)):
        assert time.monotonic() < deadline, "no dead letter in time"
        await asyncio.sleep(0.02)
    return list(letters)


class TestSharingAGroup:
    async def test_two_consumers_in_one_group_handle_each_event_once(self, bus: Bus) -> None:
        events = [requested() for _ in range(20)]
        for event in events:
            await bus.publish(event)

        async def slow(_: Event[UserEventData]) -> None:
            await asyncio.sleep(0.01)

        first = Consumer(bus, name="c1", handler=slow, batch=1)
        second = Consumer(bus, name="c2", handler=slow, batch=1)
        await eventually(lambda: len(first.seen) + len(second.seen) >= 20)
        await asyncio.sleep(0.2)
        await first.finish()
        await second.finish()
        handled = [e.id for e in first.seen + second.seen]
        assert sorted(handled) == sorted(e.id for e in events)
        assert first.seen
        assert second.seen

    async def test_the_event_of_a_dead_consumer_is_reclaimed_after_the_timeout(
        self, bus: Bus
    ) -> None:
        event = requested()
        await bus.publish(event)
        entered = asyncio.Event()

        async def hang(_: Event[UserEventData]) -> None:
            entered.set()
            await asyncio.Event().wait()

        dying = Consumer(bus, name="dying", handler=hang, visibility_timeout=0.5)
        await asyncio.wait_for(entered.wait(), DEADLINE)
        # A killed process never acknowledges: cancel it in the middle of the handler.
        dying.task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await dying.task
        died_at = time.monotonic()

        survivor = Consumer(bus, name="survivor", visibility_timeout=0.5)
        await eventually(lambda: len(survivor.seen) == 1)
        reclaimed_after = time.monotonic() - died_at
        await survivor.finish()
        assert survivor.seen[0].id == event.id
        assert reclaimed_after >= 0.4

    async def test_claimed_events_not_yet_handled_are_given_back_on_stop(self, bus: Bus) -> None:
        events = [requested() for _ in range(3)]
        for event in events:
            await bus.publish(event)
        first_entered = asyncio.Event()
        release = asyncio.Event()

        async def block_on_first(_: Event[UserEventData]) -> None:
            first_entered.set()
            await release.wait()

        stopping = Consumer(bus, name="c1", handler=block_on_first, visibility_timeout=30)
        await asyncio.wait_for(first_entered.wait(), DEADLINE)
        stopping.stop.set()
        release.set()
        await stopping.finish()
        taker = Consumer(bus, name="c2", visibility_timeout=30)
        await eventually(lambda: len(taker.seen) == 2)
        await taker.finish()
        assert [e.id for e in stopping.seen] == [events[0].id]
        assert [e.id for e in taker.seen] == [e.id for e in events[1:]]


class TestStreamCap:
    async def test_the_cap_never_drops_what_a_group_has_not_acknowledged(
        self, capped_bus: tuple[Bus, int]
    ) -> None:
        bus, cap = capped_bus
        gate = asyncio.Event()

        async def held(_: Event[UserEventData]) -> None:
            await gate.wait()

        # The group holds its first event unacknowledged while ten times the cap arrives.
        consumer = Consumer(bus, handler=held, batch=1)
        first = requested()
        await bus.publish(first)
        await eventually(lambda: len(consumer.seen) == 1)
        events = [requested() for _ in range(10 * cap)]
        for event in events:
            await bus.publish(event)
        gate.set()
        await eventually(lambda: len(consumer.seen) == 1 + len(events))
        await consumer.finish()

        assert [e.id for e in consumer.seen] == [e.id for e in [first, *events]]
        assert await bus.dead_letters("workers") == []

    async def test_what_every_group_has_acknowledged_is_trimmed_to_the_cap(
        self, capped_bus: tuple[Bus, int]
    ) -> None:
        bus, cap = capped_bus
        consumer = Consumer(bus)
        events = [requested() for _ in range(4 * cap)]
        positions = []
        for event in events:
            positions.append(await bus.publish(event))
            await eventually(lambda: len(consumer.seen) == len(positions))
        await consumer.finish()
        await bus.publish(last := requested())

        # Read from the very first position on: only the newest `cap` are still there.
        kept = await _take(bus, ["import"], positions[0], cap)
        assert [d.event.id for d in kept] == [e.id for e in [*events, last][-cap:]]


class TestTail:
    async def test_every_reader_sees_every_event_in_order(self, bus: Bus) -> None:
        start = await bus.publish(requested())
        events = [failed(), plan_updated(), requested()]
        for event in events:
            await bus.publish(event)
        first = await _take(bus, ["import", "plan"], start, 3)
        second = await _take(bus, ["import", "plan"], start, 3)
        # Order is exact within a family; across families it is by time.
        for reader in (first, second):
            imports = [d.event.id for d in reader if d.event.type.startswith("import.")]
            assert imports == [events[0].id, events[2].id]
            assert {d.event.id for d in reader} == {e.id for e in events}
        assert [d.position for d in first] == [d.position for d in second]

    async def test_a_reader_resumes_just_after_a_position(self, bus: Bus) -> None:
        events = [requested(), failed(), requested()]
        positions = [await bus.publish(event) for event in events]
        [resumed] = await _take(bus, ["import"], positions[1], 1)
        assert resumed.event.id == events[2].id
        assert resumed.position == positions[2]

    async def test_without_a_position_a_reader_sees_only_new_events(self, bus: Bus) -> None:
        await bus.publish(requested())
        reader = bus.tail(["import"])
        pending = asyncio.ensure_future(anext(reader))
        # The reader fixes its starting point on its first read.
        await asyncio.sleep(0.3)
        new = failed()
        await bus.publish(new)
        delivery = await asyncio.wait_for(pending, DEADLINE)
        await _close(reader)
        assert delivery.event.id == new.id

    async def test_a_malformed_position_is_refused(self, bus: Bus) -> None:
        with pytest.raises(ValueError, match="position"):
            await anext(bus.tail(["import"], after="import"))


async def _take(bus: Bus, families: list[str], after: str, count: int) -> list[Delivery]:
    reader = bus.tail(families, after=after)
    taken = [await asyncio.wait_for(anext(reader), DEADLINE) for _ in range(count)]
    await _close(reader)
    return taken


async def _close(reader: AsyncIterator[Delivery]) -> None:
    assert isinstance(reader, AsyncGenerator)
    await reader.aclose()


class TestOpenBus:
    def test_an_unknown_scheme_is_refused(self) -> None:
        with pytest.raises(ValueError, match="sqlite:///, redis:// or rediss://"):
            open_bus("kafka://127.0.0.1:9092")

    def test_an_empty_sqlite_path_is_refused(self) -> None:
        with pytest.raises(ValueError, match="sqlite:///path"):
            open_bus("sqlite:///")
