from __future__ import annotations

import asyncio

import pytest
from tradeloop_contracts.bus import Bus

from tests.factories import event_of, import_requested
from tests.reading import read_events
from tests.stub_core import StubCore
from workers.core import CoreClient
from workers.relay import OutboxRelay

pytestmark = pytest.mark.anyio


class TestOutboxRelay:
    async def test_claimed_events_are_published_in_order_then_acknowledged(
        self, core: CoreClient, stub_core: StubCore, bus: Bus
    ) -> None:
        events = [event_of(import_requested()) for _ in range(3)]
        sequences = [stub_core.add_to_outbox(event) for event in events]

        relayed = await OutboxRelay(core, bus).relay_once()

        assert relayed == 3
        received = await read_events(bus, ["import"], 3)
        assert [event.id for event in received] == [event.id for event in events]
        assert stub_core.acked == sequences
        assert await OutboxRelay(core, bus).relay_once() == 0

    async def test_the_relay_keeps_retrying_while_core_is_down_then_delivers(
        self, core: CoreClient, stub_core: StubCore, bus: Bus
    ) -> None:
        event = event_of(import_requested())
        stub_core.add_to_outbox(event)
        stub_core.fail_next_calls(4)
        stop = asyncio.Event()
        relay = OutboxRelay(core, bus, idle_seconds=0.01, max_backoff_seconds=0.05)

        task = asyncio.create_task(relay.run(stop))
        async with asyncio.timeout(15):
            while not stub_core.acked:
                await asyncio.sleep(0.02)
        stop.set()
        await asyncio.wait_for(task, 5)

        assert [published.id for published in await read_events(bus, ["import"], 1)] == [event.id]

    async def test_an_event_of_unknown_type_stays_unacknowledged(
        self, core: CoreClient, stub_core: StubCore, bus: Bus
    ) -> None:
        known = event_of(import_requested())
        unknown = known.model_copy(update={"id": "other", "type": "import.teleported.v9"})
        stub_core.add_to_outbox(unknown)
        known_sequence = stub_core.add_to_outbox(known)

        await OutboxRelay(core, bus).relay_once()

        assert [event.id for event in await read_events(bus, ["import"], 1)] == [known.id]
        assert stub_core.acked == [known_sequence]
