"""Bodies of core's internal outbox API.

Field for field the `OutboxClaim`, `OutboxEntry`, `OutboxBatch` and `OutboxAck` of the
contracts source; the published tradeloop-contracts 1.0.0 wheel does not export them yet.
Replace these with the contracts models once a release carries them.
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
