"""The relay's view of the outbox."""

from __future__ import annotations

from fastapi import APIRouter, Response
from tradeloop_contracts import OutboxAck, OutboxBatch, OutboxClaim, OutboxEntry

from core_api.db import DbSession
from core_api.identity.dependencies import ServiceCaller
from core_api.outbox.service import acknowledge, claim

router = APIRouter(tags=["outbox"])


@router.post("/internal/outbox/claim")
def claim_events(body: OutboxClaim, _caller: ServiceCaller, session: DbSession) -> OutboxBatch:
    """Lease unsent events, oldest first."""
    rows = claim(session, body.limit, body.lease_seconds)
    return OutboxBatch(
        items=[OutboxEntry.model_validate({"sequence": seq, "event": event}) for seq, event in rows]
    )


@router.post("/internal/outbox/ack", status_code=204)
def acknowledge_events(body: OutboxAck, _caller: ServiceCaller, session: DbSession) -> Response:
    """Mark events as published."""
    acknowledge(session, body.sequences)
    return Response(status_code=204)
