"""The outbox relay: moves core's committed events onto the bus, at least once, in order."""

from __future__ import annotations

import asyncio
import logging

from opentelemetry.trace import SpanKind
from pydantic import ValidationError
from tradeloop_contracts import (
    OutboxAck,
    OutboxClaim,
    OutboxEntry,
    UnknownEventTypeError,
    parse_event,
)
from tradeloop_contracts.bus import Bus
from tradeloop_contracts.telemetry import current_traceparent, extract_context, tracer

from .core import CoreClient
from .telemetry import untraced

logger = logging.getLogger(__name__)


class OutboxRelay:
    """Claims outbox rows from core, publishes each event, then acknowledges what is on the bus.

    Several relays may run at once: core leases each row to one claimant, and an
    event published twice (a relay died before its ack) is dropped by consumers,
    which deduplicate by event id.
    """

    def __init__(
        self,
        core: CoreClient,
        bus: Bus,
        *,
        batch_size: int = 100,
        lease_seconds: int = 30,
        idle_seconds: float = 0.2,
        max_backoff_seconds: float = 5.0,
    ) -> None:
        self._core = core
        self._bus = bus
        self._claim = OutboxClaim(limit=batch_size, lease_seconds=lease_seconds)
        self._idle_seconds = idle_seconds
        self._max_backoff_seconds = max_backoff_seconds

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until `stop` is set; errors back off and retry, they never end the loop."""
        backoff = 0.0
        while not stop.is_set():
            try:
                relayed = await self.relay_once()
            except Exception:
                backoff = min(self._max_backoff_seconds, max(self._idle_seconds, backoff * 2))
                logger.exception("outbox relay failed; retrying in %.1f s", backoff)
                await _sleep_unless_stopped(stop, backoff)
                continue
            backoff = 0.0
            if relayed == 0:
                await _sleep_unless_stopped(stop, self._idle_seconds)

    async def relay_once(self) -> int:
        """Relay one claimed batch and return how many events were claimed.

        Raises CoreError when core cannot be reached and whatever the bus raises on publish;
        events published before the error are acknowledged first.
        """
        # Polling core is not traced: an idle relay would start a trace every 200 ms. Each
        # event is published in a span of its own trace (see `_publish`).
        with untraced():
            batch = await self._core.claim_outbox(self._claim)
            published: list[int] = []
            try:
                for entry in batch.items:
                    if await self._publish(entry):
                        published.append(entry.sequence)
            finally:
                if published:
                    await self._core.ack_outbox(OutboxAck(sequences=published))
        return len(batch.items)

    async def _publish(self, entry: OutboxEntry) -> bool:
        try:
            event = parse_event(entry.event.model_dump(mode="json"))
        except (UnknownEventTypeError, ValidationError):
            # Left unacknowledged: it comes back after the lease and is published once this
            # worker runs a contracts release that knows the type.
            logger.error(
                "outbox event %s of type %s is unknown or malformed; not published",
                entry.event.id,
                entry.event.type,
            )
            return False
        # A PRODUCER span continuing the trace of the request that wrote the row; consumers
        # continue from it, so the relay's hop shows in the trace.
        carrier = {"traceparent": event.traceparent} if event.traceparent else {}
        with tracer().start_as_current_span(
            f"publish {event.type}",
            context=extract_context(carrier),
            kind=SpanKind.PRODUCER,
            attributes={"messaging.system": "tradeloop", "messaging.message.id": event.id},
        ):
            await self._bus.publish(event.model_copy(update={"traceparent": current_traceparent()}))
        return True


async def _sleep_unless_stopped(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        pass
