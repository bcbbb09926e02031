"""Live events: one bus tail per process, fanned out to each user's WebSockets."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Protocol

from tradeloop_contracts import Event, UserEventData
from tradeloop_contracts import bus as contracts_bus
from tradeloop_contracts.telemetry import bind_user, unbind_user

from .revocations import RedisRevocations, Revocation
from .sessions.store import storage_key
from .telemetry import SERVICE, ws_send_queue_drops

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 64 * 1024
# The event families (streams) that carry what a trader sees live: the catalogue's events
# whose consumers include the edge.
USER_FAMILIES = (
    "broker_connection",
    "coach",
    "import",
    "market_data",
    "plan",
    "position",
    "rule",
)
# Read by the tail too, but never sent to a socket: it ends the user's sockets and sessions.
USER_DELETED = "user.deleted.v1"
_TAIL_FAMILIES = (*USER_FAMILIES, "user")
# Close reasons (code 1008) a client can tell apart.
LOGGED_OUT = "logged out"
ACCOUNT_DELETED = "account deleted"
PASSWORD_CHANGED = "password changed"
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
    """One socket's bounded queue of deliveries; a full queue closes the socket.

    `session_key` is the storage key of the cookie session that opened it (None for a
    bearer token), so a logout heard from another instance finds it without the session id.
    """

    def __init__(self, user_id: str, session_key: str | None, queue_size: int) -> None:
        self.user_id = user_id
        self.session_key = session_key
        self.queue: asyncio.Queue[Delivery] = asyncio.Queue(queue_size)
        self.closed = asyncio.Event()
        self.close_code = 1000
        self.close_reason = ""
        self.client_gone = False

    def offer(self, delivery: Delivery) -> None:
        """Queue the delivery, or close the socket when the client cannot keep up."""
        if self.closed.is_set():
            return
        try:
            self.queue.put_nowait(delivery)
        except asyncio.QueueFull:
            ws_send_queue_drops().labels(SERVICE).inc()
            self.close(1013)

    def close(self, code: int, reason: str = "") -> None:
        """Ask the socket to close with `code` and `reason` (the first one wins)."""
        if not self.closed.is_set():
            self.close_code = code
            self.close_reason = reason
            self.closed.set()


class LiveEvents:
    """The process's single bus tail and the sockets it feeds, indexed by user id.

    Revocations (a logout, an account deleted) close sockets here at once and, through
    `revocations` when instances share Redis, on every other instance too.
    """

    def __init__(
        self,
        bus: Bus | None,
        *,
        queue_size: int,
        ping_seconds: float,
        revocations: RedisRevocations | None = None,
        on_user_deleted: Callable[[str], Awaitable[object]] | None = None,
    ) -> None:
        self.bus = bus
        self.queue_size = queue_size
        self.ping_seconds = ping_seconds
        self._revocations = revocations
        self._on_user_deleted = on_user_deleted
        self._subscribers: defaultdict[str, set[Subscriber]] = defaultdict(set)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start the tail task and the revocation listener (once; no tail without a bus)."""
        if self._revocations is not None:
            await self._revocations.start(self._apply)
        if self.bus is not None and self._task is None:
            self._task = asyncio.create_task(self._tail(self.bus))

    async def stop(self) -> None:
        """Stop the tail task, close every socket, the bus and the revocation listener."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for subscribers in self._subscribers.values():
            for subscriber in subscribers:
                subscriber.close(1001)
        if self.bus is not None:
            await self.bus.close()
        if self._revocations is not None:
            await self._revocations.close()

    async def _tail(self, bus: Bus) -> None:
        after: str | None = None
        while True:
            try:
                async for delivery in bus.tail(_TAIL_FAMILIES, after=after):
                    after = delivery.position
                    user_id = str(delivery.event.data.user_id)
                    if delivery.event.type == USER_DELETED:
                        await self._user_deleted(user_id)
                        continue
                    if delivery.event.type.split(".", 1)[0] not in USER_FAMILIES:
                        continue
                    for subscriber in list(self._subscribers.get(user_id, ())):
                        subscriber.offer(delivery)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("bus tail failed; resuming")
            await asyncio.sleep(_RETRY_DELAY_SECONDS)

    async def _user_deleted(self, user_id: str) -> None:
        # Every instance tails the bus, so each closes its own sockets; ending the sessions
        # again on each is harmless.
        self._apply(Revocation(ACCOUNT_DELETED, user_id=user_id))
        if self._on_user_deleted is not None:
            await self._on_user_deleted(user_id)
        bound = bind_user(user_id)
        log.info("account deleted; sockets closed and sessions ended")
        unbind_user(bound)

    def subscribe(self, user_id: str, session_id: str | None) -> Subscriber:
        """A new subscriber for this user's events (`session_id` None for a bearer token)."""
        key = storage_key(session_id) if session_id is not None else None
        subscriber = Subscriber(user_id, key, self.queue_size)
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

    async def end_session(self, session_id: str) -> None:
        """Close (1008) every socket opened by this session, on every instance: it logged out."""
        await self._revoke(Revocation(LOGGED_OUT, session_key=storage_key(session_id)))

    async def end_user(
        self, user_id: str, reason: str, *, spare_session_id: str | None = None
    ) -> None:
        """Close (1008) every socket of this user, on every instance, but those opened by the
        session `spare_session_id`."""
        spare = storage_key(spare_session_id) if spare_session_id is not None else None
        await self._revoke(Revocation(reason, user_id=user_id, spare_session_key=spare))

    async def _revoke(self, revocation: Revocation) -> None:
        self._apply(revocation)
        if self._revocations is not None:
            await self._revocations.publish(revocation)

    def _apply(self, revocation: Revocation) -> None:
        """Close this process' sockets the revocation names."""
        if revocation.user_id is not None:
            candidates = list(self._subscribers.get(revocation.user_id, ()))
        else:
            candidates = [s for group in self._subscribers.values() for s in group]
        for subscriber in candidates:
            spared = (
                revocation.spare_session_key is not None
                and subscriber.session_key == revocation.spare_session_key
            )
            named = (
                revocation.session_key is None or subscriber.session_key == revocation.session_key
            )
            if named and not spared:
                subscriber.close(1008, revocation.reason)

    async def catch_up(self, user_id: str, after: str) -> AsyncIterator[Delivery]:
        """The user's deliveries after `after`, until the bus has nothing more right now.

        Raises ValueError when `after` is not a position of this bus.
        """
        if self.bus is None:
            return
        iterator = aiter(self.bus.tail(USER_FAMILIES, after=after))
        try:
            while True:
                try:
                    delivery = await asyncio.wait_for(anext(iterator), _CATCH_UP_IDLE_SECONDS)
                except (TimeoutError, StopAsyncIteration):
                    return
                if (
                    str(delivery.event.data.user_id) == user_id
                    and delivery.event.type.split(".", 1)[0] in USER_FAMILIES
                ):
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
