"""Traces and metrics of the bus, the same on Redis Streams and on the embedded store."""

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from tradeloop_contracts import Event, ImportProgressed, UserEventData, make_event
from tradeloop_contracts.bus import Bus, _observe
from tradeloop_contracts.bus._core import GroupBus, Subscription
from tradeloop_contracts.telemetry import REGISTRY, capture_spans, current_traceparent, tracer

DEADLINE = 10.0
CALLER = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def progressed(traceparent: str | None = None) -> Event[UserEventData]:
    data = ImportProgressed(user_id=uuid.uuid4(), import_id=uuid.uuid4(), rows_processed=1)
    return make_event("import.progressed.v1", data, source="/workers", traceparent=traceparent)


def series(name: str, group: str) -> dict[tuple[str, ...], float]:
    """Samples of `name` for `group`, keyed by their other label values."""
    exposed = generate_latest(REGISTRY).decode()
    return {
        tuple(value for label, value in sorted(sample.labels.items()) if label != "group"): (
            sample.value
        )
        for family in text_string_to_metric_families(exposed)
        for sample in family.samples
        if sample.name == name and sample.labels.get("group") == group
    }


async def consume_until(
    bus: Bus,
    group: str,
    handler: Callable[[Event[UserEventData]], Awaitable[None]],
    done: Callable[[], bool],
) -> None:
    """Run a consumer of `group` (one try per message, fast retries) until `done()`."""
    stop = asyncio.Event()
    task = asyncio.create_task(
        bus.consume(
            group=group,
            consumer="c1",
            families=["import"],
            handler=handler,
            stop=stop,
            max_attempts=2,
            visibility_timeout=0.3,
        )
    )
    deadline = time.monotonic() + DEADLINE
    while not done():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)
    stop.set()
    await asyncio.wait_for(task, DEADLINE)


class TestOneTraceAcrossTheBus:
    async def test_the_handler_runs_in_a_consumer_span_of_the_publishers_trace(
        self, bus: Bus
    ) -> None:
        seen: list[str | None] = []

        async def handle(_: Event[UserEventData]) -> None:
            seen.append(current_traceparent())

        with capture_spans() as spans:
            with tracer().start_as_current_span("import request") as request:
                await bus.publish(progressed())
            await consume_until(bus, f"g-{uuid.uuid4().hex}", handle, lambda: len(seen) == 1)

        finished = {span.name: span for span in spans.get_finished_spans()}
        consumer = finished["process import.progressed.v1"]
        trace_id = request.get_span_context().trace_id
        assert consumer.kind.name == "CONSUMER"
        assert consumer.context is not None
        assert consumer.context.trace_id == trace_id
        assert consumer.parent is not None
        assert consumer.parent.span_id == request.get_span_context().span_id
        assert [traceparent.split("-")[1:3] for traceparent in seen if traceparent] == [
            [f"{trace_id:032x}", f"{consumer.context.span_id:016x}"]
        ]

    async def test_a_traceparent_the_caller_set_is_kept(self, bus: Bus) -> None:
        received: list[Event[UserEventData]] = []

        async def handle(event: Event[UserEventData]) -> None:
            received.append(event)

        with capture_spans(), tracer().start_as_current_span("elsewhere"):
            await bus.publish(progressed(CALLER))
            await consume_until(bus, f"g-{uuid.uuid4().hex}", handle, lambda: len(received) == 1)

        assert received[0].traceparent == CALLER


class TestBusMetrics:
    async def test_backlog_counts_unacknowledged_entries_and_dead_letters_per_stream(
        self, bus: Bus, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(_observe, "BACKLOG_REFRESH_SECONDS", 0.0)
        group = f"g-{uuid.uuid4().hex}"
        tries: list[str] = []

        async def refuse(event: Event[UserEventData]) -> None:
            tries.append(event.id)
            raise RuntimeError("no")

        await consume_until(
            bus, group, refuse, lambda: ("import",) in series("bus_consumer_lag", group)
        )
        assert series("bus_consumer_lag", group) == {("import",): 0}
        for _ in range(3):
            await bus.publish(progressed())
        assert isinstance(bus, GroupBus)
        idle = Subscription(group, "c1", ("import",), batch=10, visibility_timeout=0.3)
        assert (await bus._backlog(idle)).lag == {"import": 3}
        await consume_until(
            bus,
            group,
            refuse,
            lambda: series("bus_dead_letters", group).get(("import",)) == 3,
        )

        assert len(tries) == 6
        assert series("bus_consumer_lag", group) == {("import",): 0}
        durations = series("bus_handler_duration_seconds_count", group)
        assert durations[("retry", "import")] == 3
        assert durations[("dead_letter", "import")] == 3

        await bus.replay(group, (await bus.dead_letters(group))[0].id)
        acked: list[str] = []

        async def accept(event: Event[UserEventData]) -> None:
            acked.append(event.id)

        await consume_until(
            bus, group, accept, lambda: series("bus_dead_letters", group) == {("import",): 2}
        )
        assert len(acked) == 1
        assert series("bus_handler_duration_seconds_count", group)[("ack", "import")] == 1
