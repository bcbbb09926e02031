"""A tiny in-memory bus with the contracts bus API, for tests of code that publishes or consumes."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

from tradeloop_contracts import Event, UserEventData

from workers.bus import Handler


@dataclass(frozen=True)
class MemoryDeadLetter:
    id: str
    group: str
    position: str
    payload: str
    error: str
    attempts: int
    failed_at: dt.datetime


@dataclass
class MemoryBus:
    """Events in a list; each group reads them in order and retries a failing handler."""

    events: list[Event[UserEventData]] = field(default_factory=list)
    buried: list[MemoryDeadLetter] = field(default_factory=list)
    next_index: dict[str, int] = field(default_factory=dict)

    async def publish(self, event: Event[UserEventData]) -> str:
        self.events.append(event)
        return str(len(self.events))

    async def consume(
        self,
        *,
        group: str,
        consumer: str,  # noqa: ARG002 - one consumer per group here
        families: Sequence[str],
        handler: Handler,
        stop: asyncio.Event,
        max_attempts: int = 5,
        visibility_timeout: float = 60.0,  # noqa: ARG002 - nothing is held across processes
        batch: int = 10,  # noqa: ARG002 - one at a time
    ) -> None:
        while not stop.is_set():
            index = self.next_index.get(group, 0)
            if index >= len(self.events):
                await asyncio.sleep(0.01)
                continue
            event = self.events[index]
            self.next_index[group] = index + 1
            if event.type.split(".", 1)[0] not in families:
                continue
            for attempt in range(1, max_attempts + 1):
                try:
                    await handler(event)
                    break
                except Exception as error:
                    if attempt == max_attempts:
                        self.buried.append(
                            MemoryDeadLetter(
                                str(len(self.buried) + 1),
                                group,
                                str(index + 1),
                                event.model_dump_json(),
                                f"{type(error).__name__}: {error}",
                                attempt,
                                dt.datetime.now(dt.UTC),
                            )
                        )

    async def tail(
        self, families: Sequence[str], *, after: str | None = None
    ) -> AsyncIterator[Event[UserEventData]]:
        for event in self.events[int(after or 0) :]:
            if event.type.split(".", 1)[0] in families:
                yield event

    async def dead_letters(self, group: str) -> list[MemoryDeadLetter]:
        return [letter for letter in self.buried if letter.group == group]

    async def replay(self, group: str, dead_letter_id: str) -> None:
        raise LookupError(f"{group} {dead_letter_id}")

    async def close(self) -> None:
        return None
