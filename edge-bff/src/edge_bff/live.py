"""Live events: one bus tail per process, fanned out to each user's WebSockets."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from typing import Protocol

from tradeloop_contracts import Event, UserEventData
from tradeloop_contracts import bus as contracts_bus

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 64 * 1024
# The event families (streams) that carry what a trader sees live: the catalogue's events
# whose consumers include the edge.
USER_FAMILIES = ("coach", "import", "market_data", "plan", "position", "rule")
# How long a reconnecting socket's catch-up read waits for more before it is caught up.
_CATCH_UP_IDLE_SECONDS = 0.5
_RETRY_DELAY_SECONDS = 1.0


class Delivery(Protocol):
    """One event read from the bus and where it sits in its stream."""

    @property
    def position(self) -> str: ...

    @property
    def event(self) -> Event[UserEventData]: ...


class Bus(Protocol):
    """The part of `tradeloop_contracts.bus.Bus` the edge uses.

    `tail(families)` yields events published from now on; with `after`, those after that
    position first.
    """

    def tail(
        self, families: Sequence[str], *, after: str | None = None
    ) -> AsyncIterator[Delivery]: ...

    async def close(self) -> None: ...


def open_bus(url: str) -> Bus:
    """The contracts package's bus at `url` (embedded SQLite or Redis Streams).

    Raises ValueError for an unsupported URL.
    """
    return contracts_bus.open_bus(url)


class Subscriber:
    """One socket's bounded queue of deliveries; a full queue closes the socket."""

    def __init__(self, user_id: str, session_id: str, queue_size: int) -> None:
        self.user_id = user_id
        self.session_id = session_id
        self.queue: asyncio.Queue[Delivery] = asyncio.Queue(queue_size)
        self.closed = asyncio.Event()
        self.close_code = 1000
        self.client_gone = False

    def offer(self, delivery: Delivery) -> None:
        """Queue the delivery, or close the socket when the client cannot keep up."""
        if self.closed.is_set():
            return
        try:
            self.queue.put_nowait(delivery)
        except asyncio.QueueFull:
            self.close(1013)

    def close(self, code: int) -> None:
        """Ask the socket to close with `code` (the first reason wins)."""
        if not self.closed.is_set():
            self.close_code = code
            self.closed.set()


class LiveEvents:
    """The process's single bus tail and the sockets it feeds, indexed by user id."""

    def __init__(self, bus: Bus | None, *, queue_size: int, ping_seconds: float) -> None:
        self.bus = bus
        self.queue_size = queue_size
        self.ping_seconds = ping_seconds
        self._subscribers: defaultdict[str, set[Subscriber]] = defaultdict(set)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the tail task (once; nothing happens without a bus)."""
        if self.bus is not None and self._task is None:
            self._task = asyncio.create_task(self._tail(self.bus))

    async def stop(self) -> None:
        """Stop the tail task, close every socket and the bus."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for subscribers in self._subscribers.values():
            for subscriber in subscribers:
                subscriber.close(1001)
        if self.bus is not None:
            await self.bus.close()

    async def _tail(self, bus: Bus) -> None:
        after: str | None = None
        while True:
            try:
                async for delivery in bus.tail(USER_FAMILIES, after=after):
                    after = delivery.position
                    for subscriber in list(
                        self._subscribers.get(str(delivery.event.data.user_id), ())
                    ):
                        subscriber.offer(delivery)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("bus tail failed; resuming")
            await asyncio.sleep(_RETRY_DELAY_SECONDS)

    def subscribe(self, user_id: str, session_id: str) -> Subscriber:
        """A new subscriber for this user's events."""
        subscriber = Subscriber(user_id, session_id, self.queue_size)
        self._subscribers[user_id].add(subscriber)
        return subscriber

    def socket_count(self, user_id: str) -> int:
        """How many sockets of this user this process serves."""
        return len(self._subscribers.get(user_id, ()))

    def unsubscribe(self, subscriber: Subscriber) -> None:
        """Stop feeding the subscriber."""
        subscribers = self._subscribers.get(subscriber.user_id)
        if subscribers is not None:
            subscribers.discard(subscriber)
            if not subscribers:
                del self._subscribers[subscriber.user_id]

    def end_session(self, session_id: str) -> None:
        """Close (1008) every socket opened by this session: it logged out."""
        for subscribers in self._subscribers.values():
            for subscriber in subscribers:
                if subscriber.session_id == session_id:
                    subscriber.close(1008)

    async def catch_up(self, user_id: str, after: str) -> AsyncIterator[Delivery]:
        """The user's deliveries after `after`, until the bus has nothing more right now."""
        if self.bus is None:
            return
        iterator = aiter(self.bus.tail(USER_FAMILIES, after=after))
        try:
            while True:
                try:
                    delivery = await asyncio.wait_for(anext(iterator), _CATCH_UP_IDLE_SECONDS)
                except (TimeoutError, StopAsyncIteration):
                    return
                if str(delivery.event.data.user_id) == user_id:
                    yield delivery
        finally:
            closer = getattr(iterator, "aclose", None)
            if closer is not None:
                await closer()


def message(delivery: Delivery) -> str:
    """The socket message for a delivery: its bus position and the event envelope."""
    return json.dumps(
        {
            "type": "event",
            "position": delivery.position,
            "event": delivery.event.model_dump(mode="json"),
        }
    )
