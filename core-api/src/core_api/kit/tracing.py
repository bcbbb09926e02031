"""The W3C `traceparent` of the request's span, carried into the events it writes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from tradeloop_contracts.telemetry import current_traceparent


async def _traceparent() -> str | None:
    # Async, so it reads the span the telemetry middleware made current for this request
    # (it continues the caller's traceparent); a relay that publishes the event later
    # hands the same trace on to the bus and its consumers.
    return current_traceparent()


Traceparent = Annotated[str | None, Depends(_traceparent)]
