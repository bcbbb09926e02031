"""Upserting batches of executions idempotently, then rematching what they touched."""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Insert, Uuid, any_, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from tradeloop_contracts import (
    Execution,
    ExecutionBatch,
    ExecutionBatchResult,
    ExecutionIn,
    ExecutionsRecorded,
)

from core_api.accounts.repository import AccountRepository
from core_api.accounts.specs import account_specs
from core_api.errors import AppError, FieldError
from core_api.executions.models import ExecutionRecord
from core_api.imports.repository import ImportRepository
from core_api.instruments.futures import ContractSpec
from core_api.instruments.normalise import normalise, unsent_spec_fields
from core_api.outbox.service import record_event
from core_api.plans.service import affected_days, evaluate_after_change
from core_api.positions.service import InstrumentKey, rematch

_order_lock = threading.Lock()
_last_order = 0


def next_recorded_order() -> int:
    """A number that grows with every call in this process and across restarts (nanoseconds)."""
    global _last_order
    with _order_lock:
        _last_order = max(_last_order + 1, time.time_ns())
        return _last_order


def record_batch(
    session: Session, user_id: uuid.UUID, batch: ExecutionBatch, traceparent: str | None
) -> ExecutionBatchResult:
    """Stores the executions core does not hold yet and rematches the instruments they touch.

    Writes `executions.recorded.v1` and one `position.closed.v1` per newly closed position.
    NotFoundError for another trader's account or import; a 422 problem for a fill
    without any id.
    """
    # Batches of one account rematch in turn, so two never build the same position.
    account = AccountRepository(session, user_id).get(batch.account_id, for_update=True)
    missing = [
        FieldError(f"body.executions.{index}", "needs broker_execution_id or fingerprint")
        for index, execution in enumerate(batch.executions)
        if not execution.broker_execution_id and not execution.fingerprint
    ]
    if missing:
        raise AppError(422, "Invalid request", errors=missing)
    if batch.import_id is not None:
        ImportRepository(session, user_id).get(batch.import_id)
    if not batch.executions:
        return ExecutionBatchResult(inserted=0, duplicates=0)
    specs = account_specs(session, account.id)
    rows = [_row(user_id, batch, execution, specs) for execution in batch.executions]
    session.execute(_insert_ignoring_duplicates(session), rows)
    inserted = session.execute(
        select(_EXECUTIONS.c.asset_class, _EXECUTIONS.c.symbol, _EXECUTIONS.c.executed_at).where(
            _one_of(session, _EXECUTIONS.c.id, [row["id"] for row in rows])
        )
    ).all()
    # Each instrument rematches from its earliest new fill; earlier positions stand.
    earliest: dict[InstrumentKey, dt.datetime] = {}
    for asset_class, symbol, executed_at in inserted:
        key = InstrumentKey(asset_class, symbol)
        earliest[key] = min(executed_at, earliest.get(key, executed_at))
    touched = sorted(earliest)
    if inserted:
        record_event(
            session,
            "executions.recorded.v1",
            ExecutionsRecorded(
                user_id=user_id,
                account_id=account.id,
                import_id=batch.import_id,
                count=len(inserted),
                symbols=sorted({key.symbol for key in touched}),
            ),
            traceparent,
        )
        # The plan is re-judged on the days the changed positions lay on, before and after.
        days = affected_days(session, account.id, touched, earliest)
        rematch(session, account, touched, traceparent, since=earliest)
        days |= affected_days(session, account.id, touched, earliest)
        evaluate_after_change(session, user_id, days, traceparent)
    return ExecutionBatchResult(
        inserted=len(inserted), duplicates=len(batch.executions) - len(inserted)
    )


# A table insert: the ORM's bulk path costs more than the write itself.
_EXECUTIONS = ExecutionRecord.metadata.tables["executions"]


def _one_of(
    session: Session, column: ColumnElement[uuid.UUID], ids: list[uuid.UUID]
) -> ColumnElement[bool]:
    # On PostgreSQL one array parameter: a statement with a placeholder per id costs more
    # to prepare than to run.
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam("ids", ids, type_=postgresql.ARRAY(Uuid())))
    return column.in_(ids)


def _insert_ignoring_duplicates(session: Session) -> Insert:
    # A fill already held (same broker id or fingerprint in the account) is skipped. Plain
    # executemany: the rows it kept are read back by id, since RETURNING over many rows
    # makes one huge statement per page that psycopg parses again each time.
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(_EXECUTIONS).on_conflict_do_nothing()
    return sqlite.insert(_EXECUTIONS).on_conflict_do_nothing()


def _row(
    user_id: uuid.UUID,
    batch: ExecutionBatch,
    execution: ExecutionIn,
    specs: Mapping[str, ContractSpec],
) -> dict[str, Any]:
    instrument = normalise(execution.instrument, specs)
    offset = execution.executed_at.utcoffset()
    return {
        "id": uuid.uuid4(),
        "user_id": user_id,
        "account_id": batch.account_id,
        "import_id": batch.import_id,
        "broker_execution_id": execution.broker_execution_id,
        "fingerprint": execution.fingerprint,
        "recorded_order": next_recorded_order(),
        "executed_at": execution.executed_at,
        "utc_offset_minutes": int(offset.total_seconds() // 60) if offset else 0,
        "asset_class": instrument.asset_class,
        "symbol": instrument.symbol,
        "currency": instrument.currency,
        "multiplier": instrument.multiplier,
        "underlying": instrument.underlying,
        "expiry": instrument.expiry,
        "strike": instrument.strike,
        "option_right": instrument.right,
        "root": instrument.root,
        "exchange": instrument.exchange,
        "tick_size": instrument.tick_size,
        "spec_fields": ",".join(unsent_spec_fields(execution.instrument)),
        "side": execution.side,
        "quantity": execution.quantity,
        "price": execution.price,
        "commission": execution.commission,
        "fees": execution.fees,
        "fx_rate_to_base": execution.fx_rate_to_base,
        "order_id": execution.order_id,
        "open_close": execution.open_close,
        "kind": execution.kind,
        "source_line": execution.source_line,
    }


def to_execution(record: ExecutionRecord, position_id: uuid.UUID | None = None) -> Execution:
    return Execution.model_validate(
        {
            "id": record.id,
            "account_id": record.account_id,
            "import_id": record.import_id,
            "position_id": position_id,
            "broker_execution_id": record.broker_execution_id,
            "executed_at": record.executed_at,
            "instrument": record.instrument(),
            "side": record.side,
            "quantity": record.quantity,
            "price": record.price,
            "commission": record.commission,
            "fees": record.fees,
            "currency": record.currency,
            "fx_rate_to_base": record.fx_rate_to_base,
            "order_id": record.order_id,
            "kind": record.kind,
            "source_line": record.source_line,
        }
    )


def to_executions(
    records: Sequence[ExecutionRecord], position_id: uuid.UUID | None = None
) -> list[Execution]:
    return [to_execution(record, position_id) for record in records]
