"""The outbox API bodies, field for field as the contracts define them.

tradeloop-contracts 1.0.0 as published does not carry them yet; these go when it does.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field
from tradeloop_contracts import Event, RequestBody, ResponseBody


class OutboxClaim(RequestBody):
    """Lease up to `limit` unsent events; unacknowledged ones come back after the lease."""

    limit: int = Field(default=100, ge=1, le=1000)
    lease_seconds: int = Field(default=30, ge=1, le=600)


class OutboxEntry(ResponseBody):
    """One outbox row: its sequence number and the event it carries."""

    sequence: int
    event: Event[dict[str, Any]]


class OutboxBatch(ResponseBody):
    """Claimed events in commit order per user."""

    items: list[OutboxEntry]


class OutboxAck(RequestBody):
    """Sequences that are on the bus and may be marked sent."""

    sequences: list[int] = Field(max_length=1000)
