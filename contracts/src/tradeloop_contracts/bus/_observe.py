"""Traces and metrics of the bus, when the `telemetry` extra is installed (else no-ops).

Publishing stamps the current span's `traceparent` on events that carry none; handling
runs inside a CONSUMER span that continues the event's trace, so one import is one trace
across processes. Series: `bus_handler_duration_seconds{stream,group,outcome}`,
`bus_consumer_lag{stream,group}` and `bus_dead_letters{stream,group}`.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .._events import Event, UserEventData

if TYPE_CHECKING:
    from prometheus_client import Histogram

try:
    from opentelemetry import trace
    from opentelemetry.trace import SpanKind

    from ..telemetry import current_traceparent, extract_context, gauge, histogram, tracer
except ImportError:  # the extra is not installed: the bus works unobserved
    ENABLED = False
else:
    ENABLED = True

# How often a consumer recounts its group's backlog and dead letters.
BACKLOG_REFRESH_SECONDS = 15.0


@dataclass(frozen=True)
class Backlog:
    """Per stream: entries not yet acknowledged by the group (undelivered plus pending),
    and dead letters the group holds."""

    lag: Mapping[str, int] = field(default_factory=dict)
    dead_letters: Mapping[str, int] = field(default_factory=dict)


def with_traceparent(event: Event[UserEventData]) -> Event[UserEventData]:
    """`event`, carrying the current span's `traceparent` when it has none of its own."""
    if not ENABLED or event.traceparent is not None:
        return event
    traceparent = current_traceparent()
    if traceparent is None:
        return event
    return event.model_copy(update={"traceparent": traceparent})


@dataclass
class Handling:
    """What a delivery ended as; set by the consume loop, read when the span closes."""

    outcome: str = "ack"
    error: BaseException | None = None


@contextlib.contextmanager
def handling(
    event: Event[UserEventData], stream: str, group: str, attempt: int
) -> Iterator[Handling]:
    """Time one delivery to the handler inside a CONSUMER span of the event's trace."""
    result = Handling()
    if not ENABLED:
        yield result
        return
    carrier = {"traceparent": event.traceparent} if event.traceparent else {}
    started = time.perf_counter()
    with tracer().start_as_current_span(
        f"process {event.type}",
        context=extract_context(carrier),
        kind=SpanKind.CONSUMER,
        attributes={
            "messaging.system": "tradeloop",
            "messaging.destination.name": stream,
            "messaging.consumer.group.name": group,
            "messaging.message.id": event.id,
            "messaging.delivery.attempt": attempt,
        },
        record_exception=False,
    ) as span:
        yield result
        span.set_attribute("messaging.outcome", result.outcome)
        if result.error is not None:
            span.record_exception(result.error)
            span.set_status(trace.Status(trace.StatusCode.ERROR, type(result.error).__name__))
    _durations().labels(stream, group, result.outcome).observe(time.perf_counter() - started)


def report_backlog(group: str, backlog: Backlog) -> None:
    """Publish a freshly counted backlog of `group` as gauges."""
    if not ENABLED:
        return
    lag = gauge(
        "bus_consumer_lag",
        "Entries of the stream the group has not acknowledged yet (undelivered or pending).",
        ("stream", "group"),
    )
    dead = gauge("bus_dead_letters", "Dead letters the group holds.", ("stream", "group"))
    for stream, count in backlog.lag.items():
        lag.labels(stream, group).set(count)
    for stream, count in backlog.dead_letters.items():
        dead.labels(stream, group).set(count)


def _durations() -> Histogram:
    return histogram(
        "bus_handler_duration_seconds",
        "Seconds a handler took, by how the delivery ended.",
        ("stream", "group", "outcome"),
    )
