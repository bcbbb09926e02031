"""Storing batches of executions idempotently, and settling what they brought."""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError
from sqlalchemy import (
    ColumnElement,
    Exists,
    any_,
    bindparam,
    case,
    delete,
    exists,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session
from tradeloop_contracts import (
    Execution,
    ExecutionBatch,
    ExecutionBatchResult,
    ExecutionCreate,
    ExecutionIn,
    ExecutionsRecorded,
    ImportUndo,
)

from core_api.accounts.fees import FeeTable, fee_root, fee_table, reprice_import
from core_api.accounts.models import AccountRecord
from core_api.accounts.repository import AccountRepository
from core_api.accounts.specs import account_specs
from core_api.errors import AppError, FieldError, invalid_request, validation_errors
from core_api.executions.edits import account_edits, apply_to_row, edits_of, field_edits
from core_api.executions.models import (
    ExecutionEditRecord,
    ExecutionRecord,
    FillKey,
    fill_key,
)
from core_api.imports.models import (
    FINISHED,
    ImportDuplicateRecord,
    ImportRecord,
    SyncDuplicateRecord,
)
from core_api.imports.repository import ImportRepository
from core_api.instruments.futures import ContractSpec
from core_api.instruments.normalise import normalise, unsent_spec_fields
from core_api.kit.bulk import insert_rows
from core_api.outbox.service import record_event
from core_api.positions.models import PositionFillRecord, PositionRecord
from core_api.positions.service import InstrumentKey, positions_from
from core_api.positions.settle import settle_instruments

_order_lock = threading.Lock()
_last_order = 0


def next_recorded_order() -> int:
    """A number that grows with every call in this process and across restarts (nanoseconds)."""
    global _last_order
    with _order_lock:
        _last_order = max(_last_order + 1, time.time_ns())
        return _last_order


def record_batch_body(
    session: Session, user_id: uuid.UUID, body: bytes, traceparent: str | None
) -> ExecutionBatchResult:
    """`record_batch` of a body as it came over HTTP: a 422 problem when it is not an
    `ExecutionBatch`, naming each bad field."""
    try:
        batch = ExecutionBatch.model_validate_json(body)
    except ValidationError as error:
        raise invalid_request(validation_errors(error.errors(), prefix="body")) from None
    return record_batch(session, user_id, batch, traceparent)


def record_batch(
    session: Session, user_id: uuid.UUID, batch: ExecutionBatch, traceparent: str | None
) -> ExecutionBatchResult:
    """Stores the executions core does not hold yet; settles them unless their import runs.

    A batch of a running import (its `import_id`) is only stored: the import settles all it
    stored at once when its outcome is reported (`settle_import`). Any other batch (a broker
    sync, the demo, or a late one of a finished import) settles what it stored now (see
    `settle_fills`). NotFoundError for another trader's account or import; a 422 problem
    for a fill without any id.
    """
    missing = [
        FieldError(f"body.executions.{index}", "needs broker_execution_id or fingerprint")
        for index, execution in enumerate(batch.executions)
        if not execution.broker_execution_id and not execution.fingerprint
    ]
    # The import is held against its outcome meanwhile, so a batch is either settled with
    # the import or, arriving after it, on its own.
    running = (
        batch.import_id is not None
        and ImportRepository(session, user_id).get(batch.import_id, for_share=True).status
        not in FINISHED
    )
    # Batches that settle take turns per account, so two never build the same position.
    account = AccountRepository(session, user_id).get(batch.account_id, for_update=not running)
    if missing:
        raise AppError(422, "Invalid request", errors=missing)
    if not batch.executions:
        return ExecutionBatchResult(inserted=0, duplicates=0)
    specs = account_specs(session, account.id)
    source = "import" if batch.import_id else "broker"
    fees = fee_table(session, account.id)
    rows = [
        _row(user_id, batch.account_id, batch.import_id, execution, specs, source, fees)
        for execution in batch.executions
    ]
    # The trader's edits go over the source's values; fills deleted by hand stay deleted
    # (and count as duplicates).
    edits = account_edits(session, account.id)
    if edits:
        rows = _edited(rows, edits)
    # A fill already held (same broker id or fingerprint in the account) is skipped; when
    # some were, the ones kept are read back by id.
    inserted: Sequence[Any] = [
        (row["id"], row["asset_class"], row["symbol"], row["executed_at"]) for row in rows
    ]
    if insert_rows(session, _EXECUTIONS, rows, skip_conflicts=True) < len(rows):
        inserted = session.execute(
            select(
                _EXECUTIONS.c.id,
                _EXECUTIONS.c.asset_class,
                _EXECUTIONS.c.symbol,
                _EXECUTIONS.c.executed_at,
            ).where(_one_of(session, _EXECUTIONS.c.id, [row["id"] for row in rows]))
        ).all()
    if len(inserted) < len(rows):
        kept = {execution_id for execution_id, *_ in inserted}
        _record_duplicates(
            session, batch.account_id, batch.import_id, [r for r in rows if r["id"] not in kept]
        )
    if inserted and not running:
        earliest: dict[InstrumentKey, dt.datetime] = {}
        for _, asset_class, symbol, executed_at in inserted:
            key = InstrumentKey(asset_class, symbol)
            earliest[key] = min(executed_at, earliest.get(key, executed_at))
        settle_fills(session, account, batch.import_id, earliest, len(inserted), traceparent)
    return ExecutionBatchResult(
        inserted=len(inserted), duplicates=len(batch.executions) - len(inserted)
    )


def settle_fills(
    session: Session,
    account: AccountRecord,
    import_id: uuid.UUID | None,
    earliest: Mapping[InstrumentKey, dt.datetime],
    count: int,
    traceparent: str | None,
) -> None:
    """Settles `count` new fills of the account: writes `executions.recorded.v1`, then
    rematches each instrument from its earliest new fill (`earliest`; the positions that
    closed before it stand) and re-judges the plan where that changed anything."""
    record_event(
        session,
        "executions.recorded.v1",
        ExecutionsRecorded(
            user_id=account.user_id,
            account_id=account.id,
            import_id=import_id,
            count=count,
            symbols=sorted({key.symbol for key in earliest}),
        ),
        traceparent,
    )
    settle_instruments(session, account, earliest, traceparent, since=earliest)


def settle_import(session: Session, record: ImportRecord, traceparent: str | None) -> None:
    """Settles every execution the import stored, once, as `settle_fills` settles a batch,
    priced by the fee schedule in place now.

    What to settle is read from the stored executions (those carrying the import's id), so
    batches sent by an earlier run of the import that died before its outcome count too.
    """
    account = AccountRepository(session, record.user_id).get(record.account_id, for_update=True)
    reprice_import(session, account, record)
    earliest: dict[InstrumentKey, dt.datetime] = {}
    count = 0
    for asset_class, symbol, first, fills in _import_instruments(session, record):
        earliest[InstrumentKey(asset_class, symbol)] = first
        count += fills
    if count:
        settle_fills(session, account, record.id, earliest, count, traceparent)


def discard_import(session: Session, record: ImportRecord, traceparent: str | None) -> None:
    """Deletes every execution the import stored: an all-or-nothing import that failed
    keeps nothing.

    Its fills are not settled yet, unless a settle of the account in the meantime (a broker
    sync) took some in; the instruments of those are rebuilt without them.
    """
    account = AccountRepository(session, record.user_id).get(record.account_id, for_update=True)
    taken = session.scalar(
        select(exists().where(PositionFillRecord.execution_id == ExecutionRecord.id, *_of(record)))
    )
    keys = [
        InstrumentKey(asset_class, symbol)
        for asset_class, symbol, *_ in (_import_instruments(session, record) if taken else ())
    ]
    session.execute(delete(ExecutionRecord).where(*_of(record)))
    if keys:
        # From their first fill (no `since`): positions the delete took with it leave daily
        # rows that only a full rebuild finds.
        settle_instruments(session, account, keys, traceparent)


def _record_duplicates(
    session: Session,
    account_id: uuid.UUID,
    import_id: uuid.UUID | None,
    duplicates: Sequence[Mapping[str, Any]],
) -> None:
    """Notes which held execution each duplicate row matched, so undoing the import that
    brought it keeps it: for an import's batch (`import_id`) one the import did not bring
    itself (such as a row the file holds twice), for a broker sync's one an import brought."""
    broker_ids = [row["broker_execution_id"] for row in duplicates if row["broker_execution_id"]]
    fingerprints = [row["fingerprint"] for row in duplicates if row["fingerprint"]]
    brought_by_another = (
        _EXECUTIONS.c.import_id.is_not(None)
        if import_id is None
        else or_(_EXECUTIONS.c.import_id.is_(None), _EXECUTIONS.c.import_id != import_id)
    )
    matched = session.scalars(
        select(_EXECUTIONS.c.id).where(
            _EXECUTIONS.c.account_id == account_id,
            or_(
                _one_of(session, _EXECUTIONS.c.broker_execution_id, broker_ids, "broker_ids"),
                _one_of(session, _EXECUTIONS.c.fingerprint, fingerprints, "fingerprints"),
            ),
            brought_by_another,
        )
    ).all()
    if import_id is None:
        notes = [{"execution_id": execution_id} for execution_id in matched]
        insert_rows(session, _SYNC_DUPLICATES, notes, skip_conflicts=True)
    else:
        notes = [{"import_id": import_id, "execution_id": id_} for id_ in matched]
        insert_rows(session, _DUPLICATES, notes, skip_conflicts=True)


def undo_executions(
    session: Session, record: ImportRecord, traceparent: str | None, *, dry_run: bool
) -> ImportUndo:
    """Removes the executions only this import brought and rebuilds the positions they
    were in from the earliest removed fill on (positions, daily rows, the plan's verdicts).

    One another import or a broker sync also brought stays, credited to that import (the
    earliest), else to the sync; the import's own notes of executions it matched are
    dropped. A fill the trader edited is removed like any other (its edits stay, kept by
    its identity, for when the file is imported again). With `dry_run` it only counts.
    """
    account = AccountRepository(session, record.user_id).get(
        record.account_id, for_update=not dry_run
    )
    also_brought = or_(
        _another_import_brought(record),
        exists().where(SyncDuplicateRecord.execution_id == ExecutionRecord.id),
    )
    kept = session.scalar(select(func.count()).where(*_of(record), also_brought)) or 0
    earliest: dict[InstrumentKey, dt.datetime] = {}
    removed = 0
    for asset_class, symbol, first, fills in session.execute(
        select(
            ExecutionRecord.asset_class,
            ExecutionRecord.symbol,
            func.min(ExecutionRecord.executed_at),
            func.count(),
        )
        .where(*_of(record), ~also_brought)
        .group_by(ExecutionRecord.asset_class, ExecutionRecord.symbol)
    ):
        earliest[InstrumentKey(asset_class, symbol)] = first
        removed += fills
    keys = sorted(earliest)
    affected = sum(
        count for (count,) in positions_from(session, account, keys, earliest, func.count())
    )
    if not dry_run:
        _credit_shared(session, record, also_brought)
        settle_instruments(
            session,
            account,
            keys,
            traceparent,
            since=earliest,
            removing=delete(ExecutionRecord).where(*_of(record)),
        )
    return ImportUndo(
        import_id=record.id,
        dry_run=dry_run,
        executions_removed=removed,
        executions_kept=kept,
        positions_affected=affected,
    )


def _another_import_brought(record: ImportRecord) -> Exists:
    return exists().where(
        ImportDuplicateRecord.execution_id == ExecutionRecord.id,
        ImportDuplicateRecord.import_id != record.id,
    )


def _credit_shared(
    session: Session, record: ImportRecord, also_brought: ColumnElement[bool]
) -> None:
    """Credits each execution of the import another import also brought to the earliest of
    those (its note of it stays true and is never counted for it), one only a broker sync
    also brought to the sync; drops the import's own notes of what it matched."""
    earliest_other = (
        select(ImportDuplicateRecord.import_id)
        .join(ImportRecord, ImportRecord.id == ImportDuplicateRecord.import_id)
        .where(
            ImportDuplicateRecord.execution_id == ExecutionRecord.id,
            ImportDuplicateRecord.import_id != record.id,
        )
        .order_by(ImportRecord.created_at, ImportRecord.id)
        .limit(1)
        .scalar_subquery()
    )
    session.execute(
        update(ExecutionRecord)
        .where(*_of(record), also_brought)
        .values(
            import_id=earliest_other,
            source=case((_another_import_brought(record), "import"), else_="broker"),
        )
        .execution_options(synchronize_session=False)
    )
    session.execute(
        delete(ImportDuplicateRecord).where(ImportDuplicateRecord.import_id == record.id)
    )


def _of(record: ImportRecord) -> tuple[ColumnElement[bool], ...]:
    """The executions an import stored."""
    return (ExecutionRecord.account_id == record.account_id, ExecutionRecord.import_id == record.id)


def _import_instruments(session: Session, record: ImportRecord) -> Sequence[Any]:
    """Per instrument the import stored fills of: its earliest fill's time and the count."""
    return session.execute(
        select(
            ExecutionRecord.asset_class,
            ExecutionRecord.symbol,
            func.min(ExecutionRecord.executed_at),
            func.count(),
        )
        .where(*_of(record))
        .group_by(ExecutionRecord.asset_class, ExecutionRecord.symbol)
    ).all()


_EXECUTIONS = ExecutionRecord.metadata.tables["executions"]
_DUPLICATES = ImportDuplicateRecord.metadata.tables["import_duplicates"]
_SYNC_DUPLICATES = SyncDuplicateRecord.metadata.tables["sync_duplicates"]


def _one_of(
    session: Session, column: ColumnElement[Any], values: list[Any], name: str = "ids"
) -> ColumnElement[bool]:
    # On PostgreSQL one array parameter: a statement with a placeholder per value costs
    # more to prepare than to run.
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(name, values, type_=postgresql.ARRAY(column.type)))
    return column.in_(values)


def _edited(
    rows: list[dict[str, Any]], edits: Mapping[FillKey, ExecutionEditRecord]
) -> list[dict[str, Any]]:
    kept = []
    for row in rows:
        edit = edits.get(fill_key(row["broker_execution_id"], row["fingerprint"]))
        if edit is not None and edit.deleted:
            continue
        if edit is not None:
            apply_to_row(row, edit)
        kept.append(row)
    return kept


def _row(
    user_id: uuid.UUID,
    account_id: uuid.UUID,
    import_id: uuid.UUID | None,
    execution: ExecutionIn,
    specs: Mapping[str, ContractSpec],
    source: str,
    fees: FeeTable,
) -> dict[str, Any]:
    instrument = normalise(execution.instrument, specs)
    offset = execution.executed_at.utcoffset()
    root = fee_root(
        instrument.asset_class, instrument.symbol, instrument.root, instrument.underlying
    )
    commission, fee_source = fees.price(
        instrument.asset_class, root, execution.quantity, execution.commission, execution.fees
    )
    return {
        "id": uuid.uuid4(),
        "user_id": user_id,
        "account_id": account_id,
        "import_id": import_id,
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
        "commission": commission,
        "fees": execution.fees,
        "fee_source": fee_source,
        "fx_rate_to_base": execution.fx_rate_to_base,
        "order_id": execution.order_id,
        "open_close": execution.open_close,
        "kind": execution.kind,
        "source_line": execution.source_line,
        "source": source,
        "note": None,
    }


def create_executions(
    session: Session,
    user_id: uuid.UUID,
    account_id: uuid.UUID,
    fills: Sequence[ExecutionCreate],
    traceparent: str | None,
) -> list[ExecutionRecord]:
    """Stores fills entered by hand in one account (`manual`, a fingerprint `manual:<uuid>`)
    and settles them at once, as a batch that is not an import's settles.

    NotFoundError for another trader's account; the instruments are normalised as an
    imported fill's are.
    """
    account = AccountRepository(session, user_id).get(account_id, for_update=True)
    specs = account_specs(session, account.id)
    fees = fee_table(session, account.id)
    records = []
    for fill in fills:
        execution = ExecutionIn.model_validate(
            {
                **fill.model_dump(exclude={"account_id", "note"}),
                "fingerprint": f"manual:{uuid.uuid4()}",
            }
        )
        row = _row(user_id, account.id, None, execution, specs, "manual", fees)
        records.append(ExecutionRecord(**{**row, "note": fill.note}))
    session.add_all(records)
    session.flush()
    earliest: dict[InstrumentKey, dt.datetime] = {}
    for record in records:
        key = InstrumentKey(record.asset_class, record.symbol)
        earliest[key] = min(record.executed_at, earliest.get(key, record.executed_at))
    settle_fills(session, account, None, earliest, len(records), traceparent)
    return records


def position_of(session: Session, execution_id: uuid.UUID) -> uuid.UUID | None:
    """The (first) position a fill belongs to, if it is matched yet."""
    return session.scalar(
        select(PositionFillRecord.position_id)
        .join(PositionRecord, PositionRecord.id == PositionFillRecord.position_id)
        .where(PositionFillRecord.execution_id == execution_id)
        .order_by(PositionRecord.opened_at)
        .limit(1)
    )


def to_execution(
    record: ExecutionRecord,
    position_id: uuid.UUID | None = None,
    edit: ExecutionEditRecord | None = None,
) -> Execution:
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
            "fee_source": record.fee_source,
            "currency": record.currency,
            "fx_rate_to_base": record.fx_rate_to_base,
            "order_id": record.order_id,
            "kind": record.kind,
            "source_line": record.source_line,
            "source": record.source,
            "fingerprint": record.fingerprint,
            "open_close": record.open_close,
            "note": record.note,
            "edits": field_edits(edit),
        }
    )


def to_executions(
    session: Session, records: Sequence[ExecutionRecord], position_id: uuid.UUID | None = None
) -> list[Execution]:
    """The fills as the API shows them, with their edits."""
    edits = edits_of(session, records)
    return [to_execution(record, position_id, edits.get(record.key())) for record in records]
