"""Reading what reached a bus, through a consumer group of the test's own."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from tradeloop_contracts import Event, UserEventData
from tradeloop_contracts.bus import Bus


async def read_events(
    bus: Bus, families: Sequence[str], count: int, *, group: str = "test-reader"
) -> list[Event[UserEventData]]:
    """The first `count` events of `families` the group receives; fails after 10 s."""
    received: list[Event[UserEventData]] = []
    stop = asyncio.Event()

    async def handle(event: Event[UserEventData]) -> None:
        received.append(event)
        if len(received) >= count:
            stop.set()

    await asyncio.wait_for(
        bus.consume(group=group, consumer="reader", families=families, handler=handle, stop=stop),
        timeout=10,
    )
    return received
