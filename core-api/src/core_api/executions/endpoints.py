"""Fills: the workers' entry point for parsed ones, and the trader's manual entries and edits."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response
from tradeloop_contracts import (
    Execution,
    ExecutionBatch,
    ExecutionBatchResult,
    ExecutionCreate,
    ExecutionEdit,
)

from core_api.db import DbSession
from core_api.executions.edits import delete_executions, edit_execution, edits_of, get_execution
from core_api.executions.models import ExecutionRecord
from core_api.executions.service import (
    create_executions,
    position_of,
    record_batch_body,
    to_execution,
)
from core_api.identity.dependencies import CurrentUser, ServiceCaller
from core_api.kit.openapi import json_body
from core_api.kit.tracing import Traceparent
from core_api.state import State

public = APIRouter(tags=["executions"])
internal = APIRouter(tags=["executions"])


def _read(session: DbSession, record: ExecutionRecord) -> Execution:
    edit = edits_of(session, [record]).get(record.key())
    return to_execution(record, position_of(session, record.id), edit)


@public.post("/v1/executions", status_code=201)
def add_execution(
    body: ExecutionCreate, user: CurrentUser, session: DbSession, traceparent: Traceparent
) -> Execution:
    """Enter a fill by hand (`source: manual`); its instrument's positions are rebuilt."""
    [record] = create_executions(session, user.id, body.account_id, [body], traceparent)
    return _read(session, record)


@public.patch("/v1/executions/{execution_id}")
def patch_execution(
    execution_id: uuid.UUID,
    body: ExecutionEdit,
    user: CurrentUser,
    session: DbSession,
    traceparent: Traceparent,
) -> Execution:
    """Change a fill over what its source reported, or `revert` fields back to it."""
    record = edit_execution(
        session, get_execution(session, user.id, execution_id), body, traceparent
    )
    return _read(session, record)


@public.delete("/v1/executions/{execution_id}", status_code=204)
def delete_execution(
    execution_id: uuid.UUID, user: CurrentUser, session: DbSession, traceparent: Traceparent
) -> Response:
    """Delete a fill (an imported one is not imported again)."""
    delete_executions(
        session, user.id, [get_execution(session, user.id, execution_id)], traceparent
    )
    return Response(status_code=204)


@internal.post(
    "/internal/users/{user_id}/executions/batch", openapi_extra=json_body(ExecutionBatch)
)
async def record_executions(
    user_id: uuid.UUID,
    request: Request,
    _caller: ServiceCaller,
    state: State,
    traceparent: Traceparent,
) -> ExecutionBatchResult:
    """Store a batch of executions idempotently and rematch the positions they touch."""
    # Validating and storing a thousand executions is tens of milliseconds of CPU: the body
    # goes to a work process as it came, so the event loop only reads it.
    body = await request.body()
    return await state.batches.run(record_batch_body, user_id, body, traceparent)
