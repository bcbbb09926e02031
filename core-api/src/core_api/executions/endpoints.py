"""The workers' entry point for parsed executions."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from tradeloop_contracts import ExecutionBatch, ExecutionBatchResult

from core_api.db import DbSession
from core_api.executions.service import record_batch
from core_api.identity.dependencies import ServiceCaller
from core_api.kit.tracing import Traceparent

internal = APIRouter(tags=["executions"])


@internal.post("/internal/users/{user_id}/executions/batch")
def record_executions(
    user_id: uuid.UUID,
    body: ExecutionBatch,
    _caller: ServiceCaller,
    session: DbSession,
    traceparent: Traceparent,
) -> ExecutionBatchResult:
    """Store a batch of executions idempotently and rematch the positions they touch."""
    return record_batch(session, user_id, body, traceparent)
