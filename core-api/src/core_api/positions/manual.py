"""A round trip entered by hand: its entry and exit stored as two fills."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session
from tradeloop_contracts import ExecutionCreate, PositionCreate, PositionUpdate

from core_api.errors import AppError, FieldError
from core_api.executions.service import create_executions, position_of
from core_api.positions.models import PositionRecord
from core_api.positions.repository import PositionRepository
from core_api.positions.service import update_position


def create_position(
    session: Session, user_id: uuid.UUID, body: PositionCreate, traceparent: str | None
) -> PositionRecord:
    """Stores the entry fill and, when given, the exit fill (each with `commission`), settles
    them, and sets `initial_stop` on the position the entry fill lies in.

    A 422 problem for an exit time without a price or the other way round, or an exit
    before the entry; NotFoundError for another trader's account.
    """
    errors = []
    if (body.exit_at is None) != (body.exit_price is None):
        missing = "exit_price" if body.exit_price is None else "exit_at"
        errors.append(FieldError(f"body.{missing}", "is needed with the other exit field"))
    elif body.exit_at is not None and body.exit_at < body.entry_at:
        errors.append(FieldError("body.exit_at", "is before entry_at"))
    if errors:
        raise AppError(422, "Invalid request", errors=errors)
    entry_side, exit_side = ("buy", "sell") if body.direction == "long" else ("sell", "buy")
    common = {
        "account_id": body.account_id,
        "instrument": body.instrument,
        "quantity": body.quantity,
        "commission": body.commission,
    }
    fills = [
        ExecutionCreate.model_validate(
            {
                **common,
                "side": entry_side,
                "executed_at": body.entry_at,
                "price": body.entry_price,
                "note": body.note,
            }
        )
    ]
    if body.exit_at is not None and body.exit_price is not None:
        fills.append(
            ExecutionCreate.model_validate(
                {**common, "side": exit_side, "executed_at": body.exit_at, "price": body.exit_price}
            )
        )
    entry = create_executions(session, user_id, body.account_id, fills, traceparent)[0]
    position_id = position_of(session, entry.id)
    # The entry fill of a settled instrument always lies in a position.
    assert position_id is not None
    record = PositionRepository(session, user_id).get(position_id)
    if body.initial_stop is not None:
        update_position(session, record, PositionUpdate(initial_stop=body.initial_stop))
    return record
