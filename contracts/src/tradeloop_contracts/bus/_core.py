"""What every bus offers, and the consume loop both backends share."""

from __future__ import annotations

import abc
import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar, Generic, Protocol, TypeVar

from pydantic import ValidationError

from .._events import Event, UnknownEventTypeError, UserEventData, parse_event
from . import _observe

logger = logging.getLogger("tradeloop_contracts.bus")

Handler = Callable[[Event[UserEventData]], Awaitable[None]]

# Errors are stored with the dead letter; a bound keeps one bad payload from bloating the store.
MAX_ERROR_LENGTH = 2_000


@dataclass(frozen=True)
class Delivery:
    """One event read from a stream, with the position to resume after it."""

    position: str
    event: Event[UserEventData]


@dataclass(frozen=True)
class DeadLetter:
    """A message a group gave up on: the raw payload, why, and after how many deliveries."""

    id: str
    group: str
    position: str
    payload: str
    error: str
    attempts: int
    failed_at: dt.datetime


class DeadLetterNotFoundError(LookupError):
    """The group has no dead letter with that id (never existed, or already replayed)."""


class Bus(Protocol):
    """Durable, at-least-once delivery of events, one stream per event family."""

    async def publish(self, event: Event[UserEventData]) -> str:
        """Append `event` to its family's stream and return its position."""
        ...

    async def consume(
        self,
        *,
        group: str,
        consumer: str,
        families: Sequence[str],
        handler: Handler,
        stop: asyncio.Event,
        max_attempts: int = 5,
        visibility_timeout: float = 60.0,
        batch: int = 10,
    ) -> None:
        """Hand each event of `families` to `handler` once per group, until `stop` is set."""
        ...

    def tail(self, families: Sequence[str], *, after: str | None = None) -> AsyncIterator[Delivery]:
        """Every new event of `families` (or every one after `after`), for every reader."""
        ...

    async def dead_letters(self, group: str) -> list[DeadLetter]:
        """The messages `group` gave up on, oldest first."""
        ...

    async def replay(self, group: str, dead_letter_id: str) -> None:
        """Deliver a dead letter to `group` again, with a fresh count of attempts."""
        ...

    async def close(self) -> None:
        """Release connections; the bus is unusable afterwards."""
        ...


def family_of(event_type: str) -> str:
    """The stream an event type travels on: the part before the first dot."""
    return event_type.split(".", 1)[0]


def retry_delay(attempts: int, visibility_timeout: float) -> float:
    """Seconds before the next try after `attempts` failed ones.

    Starts at 1/60 of the visibility timeout and doubles, capped at half of it, so a
    retry is always due before a dead consumer's message would be reclaimed.
    """
    return float(min(visibility_timeout / 60 * 2 ** (attempts - 1), visibility_timeout / 2))


def check_consume_arguments(
    families: Sequence[str], max_attempts: int, visibility_timeout: float, batch: int
) -> None:
    """Raise ValueError naming the first argument `consume` cannot work with."""
    if isinstance(families, str) or not families:
        raise ValueError("families must be a non-empty sequence of family names")
    if any(not family or "." in family or ":" in family for family in families):
        raise ValueError(f"families must be names without dots or colons, got {list(families)}")
    if max_attempts < 1:
        raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")
    if visibility_timeout <= 0:
        raise ValueError(f"visibility_timeout must be positive, got {visibility_timeout}")
    if batch < 1:
        raise ValueError(f"batch must be at least 1, got {batch}")


def describe(exc: BaseException) -> str:
    """The exception's type and message, bounded for storage."""
    text = f"{type(exc).__name__}: {exc}"
    return text[:MAX_ERROR_LENGTH]


RefT = TypeVar("RefT")


@dataclass(frozen=True)
class Subscription:
    """The arguments of one `consume` call that the backends need."""

    group: str
    consumer: str
    families: Sequence[str]
    batch: int
    visibility_timeout: float


@dataclass(frozen=True)
class Claim(Generic[RefT]):
    """A message this consumer holds until it acks, retries or buries it."""

    ref: RefT
    position: str
    payload: str
    attempts: int


class GroupBus(abc.ABC, Generic[RefT]):
    """The consume loop; backends supply claiming, acking and dead-lettering."""

    # How long to wait after finding nothing, for backends whose claim does not block.
    idle_seconds: ClassVar[float] = 0.0

    async def consume(
        self,
        *,
        group: str,
        consumer: str,
        families: Sequence[str],
        handler: Handler,
        stop: asyncio.Event,
        max_attempts: int = 5,
        visibility_timeout: float = 60.0,
        batch: int = 10,
    ) -> None:
        """Hand each event of `families` to `handler` once per group, until `stop` is set.

        At least once: a message is acknowledged only after `handler` returns. A raising
        handler is retried with capped backoff; after `max_attempts` deliveries the message
        goes to the group's dead letters. A message that fails to parse goes there at once.
        Messages held by a consumer that stopped answering are reclaimed after
        `visibility_timeout` seconds, so it should exceed the slowest handler by a margin.
        When `stop` is set the handler in flight finishes and claimed messages not yet
        handled are given back. Raises ValueError for unusable arguments and the backend's
        errors when the store cannot be reached.
        """
        check_consume_arguments(families, max_attempts, visibility_timeout, batch)
        sub = Subscription(group, consumer, tuple(families), batch, visibility_timeout)
        await self._join(sub)
        next_count = 0.0
        while not stop.is_set():
            if _observe.ENABLED and time.monotonic() >= next_count:
                _observe.report_backlog(sub.group, await self._backlog(sub))
                next_count = time.monotonic() + _observe.BACKLOG_REFRESH_SECONDS
            claims = await self._claim(sub)
            if not claims:
                if self.idle_seconds:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), self.idle_seconds)
                continue
            for index, claim in enumerate(claims):
                if stop.is_set():
                    await self._release(sub, claims[index:])
                    break
                await self._deliver(sub, claim, handler, max_attempts)

    async def _deliver(
        self, sub: Subscription, claim: Claim[RefT], handler: Handler, max_attempts: int
    ) -> None:
        if claim.attempts > max_attempts:
            # The consumers holding it died each time, so the message itself is the suspect.
            error = f"delivered {claim.attempts - 1} times without an acknowledgement"
            await self._bury(sub, claim, error, claim.attempts - 1)
            logger.error("dead letter in group %s at %s: %s", sub.group, claim.position, error)
            return
        try:
            event = parse_event(claim.payload)
        except (ValidationError, UnknownEventTypeError) as exc:
            await self._bury(sub, claim, f"unreadable event: {describe(exc)}", claim.attempts)
            logger.error("dead letter in group %s at %s: unreadable", sub.group, claim.position)
            return
        # The span and the duration cover the handler and what its outcome writes.
        with _observe.handling(event, family_of(event.type), sub.group, claim.attempts) as done:
            try:
                await handler(event)
            except Exception as exc:
                done.error = exc
                if claim.attempts >= max_attempts:
                    done.outcome = "dead_letter"
                    await self._bury(sub, claim, describe(exc), claim.attempts)
                    logger.exception(
                        "dead letter in group %s: event %s at %s failed %d times",
                        sub.group,
                        event.id,
                        claim.position,
                        claim.attempts,
                    )
                else:
                    done.outcome = "retry"
                    delay = retry_delay(claim.attempts, sub.visibility_timeout)
                    await self._retry_later(sub, claim, delay)
                    logger.warning(
                        "group %s: event %s failed (attempt %d), retrying in %.2fs",
                        sub.group,
                        event.id,
                        claim.attempts,
                        delay,
                        exc_info=True,
                    )
            else:
                await self._ack(sub, claim)

    @abc.abstractmethod
    async def _join(self, sub: Subscription) -> None:
        """Make sure the group exists on every family's stream."""

    @abc.abstractmethod
    async def _claim(self, sub: Subscription) -> list[Claim[RefT]]:
        """Up to `batch` messages: due retries and reclaimed ones first, then new ones."""

    @abc.abstractmethod
    async def _ack(self, sub: Subscription, claim: Claim[RefT]) -> None:
        """Forget the message for this group."""

    @abc.abstractmethod
    async def _retry_later(self, sub: Subscription, claim: Claim[RefT], delay: float) -> None:
        """Make the message claimable again, by any consumer, after `delay` seconds."""

    @abc.abstractmethod
    async def _release(self, sub: Subscription, claims: Sequence[Claim[RefT]]) -> None:
        """Give back messages never handed to the handler, without counting an attempt."""

    @abc.abstractmethod
    async def _backlog(self, sub: Subscription) -> _observe.Backlog:
        """Per family: entries the group has not acknowledged, and its dead letters."""

    @abc.abstractmethod
    async def _bury(self, sub: Subscription, claim: Claim[RefT], error: str, attempts: int) -> None:
        """Move the message to the group's dead letters and acknowledge it."""
