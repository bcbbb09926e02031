"""Every kind of record an archive holds: how it is read for export and how it is restored.

`KINDS` is the whole list, in restore order (a kind comes after the kinds its records
name). Adding a kind is one entry: most are `records_kind(name, model, read, restore)`,
one JSON Lines file of a contracts model; `tabular=True` adds a CSV of it, `files` the
stored files of each record.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import obstore
from obstore.store import ObjectStore
from pydantic import BaseModel, ValidationError
from sqlalchemy import Select, exists, insert, or_, select
from sqlalchemy.orm import Session
from tradeloop_contracts import (
    Account,
    Attachment,
    CashMovement,
    ContractSpecOverride,
    Execution,
    FeeSchedule,
    ImportDetail,
    Insight,
    Instrument,
    JournalEntry,
    PlanVersion,
    Playbook,
    PositionDetail,
    PositionStop,
    RuleCreate,
    SavedColumnMapping,
    Tag,
    Violation,
    WeeklyReview,
)

from core_api.accounts.balances import to_movement
from core_api.accounts.fees import checked_rules, get_schedule
from core_api.accounts.models import (
    AccountRecord,
    CashMovementRecord,
    ContractSpecOverrideRecord,
    FeeRuleRecord,
)
from core_api.accounts.service import is_time_zone, to_account
from core_api.accounts.specs import account_specs, to_override
from core_api.archive.format import CHUNK_BYTES, ArchiveError, ArchiveReader, ArchiveWriter
from core_api.attachments.images import MAX_BYTES as MAX_PICTURE_BYTES
from core_api.attachments.images import ImageRefusedError
from core_api.attachments.models import AttachmentRecord
from core_api.attachments.service import Owner, add_attachment, to_attachment
from core_api.errors import AppError
from core_api.executions.edits import edits_of
from core_api.executions.models import ExecutionEditRecord, ExecutionRecord, fill_key
from core_api.executions.service import next_recorded_order, to_execution
from core_api.imports.models import ImportRecord
from core_api.imports.service import object_key, safe_filename, to_detail
from core_api.insights.models import InsightRecord
from core_api.insights.service import to_insight
from core_api.instruments.futures import ContractSpec
from core_api.instruments.normalise import SPEC_FIELDS, futures_root, spec_values
from core_api.journal.models import JournalEntryRecord
from core_api.journal.repository import JournalRepository
from core_api.journal.service import to_entry
from core_api.kit.bulk import update_rows
from core_api.kit.clock import utcnow
from core_api.mappings.models import SavedColumnMappingRecord
from core_api.mappings.service import stored, to_saved_mapping
from core_api.plans.models import PlanVersionRecord, TradingPlanRecord, ViolationRecord
from core_api.plans.service import plan_fields, to_violation
from core_api.playbooks.models import (
    PlaybookCriterionRecord,
    PlaybookRecord,
    PositionCriterionRecord,
    PositionPlaybookRecord,
)
from core_api.playbooks.service import list_playbooks, position_playbooks
from core_api.positions.models import (
    PositionFillRecord,
    PositionRecord,
    PositionStopRecord,
    PositionTagRecord,
)
from core_api.positions.service import InstrumentKey, clean_tags, position_fields, rematch
from core_api.positions.stops import reapply_rules, rule_problems, stop_columns
from core_api.reviews.models import WeeklyReviewRecord
from core_api.reviews.service import to_review
from core_api.statistics.read_model import refresh_daily_pnl
from core_api.tags.models import TagRecord
from core_api.tags.service import register_tags, to_tag

Model = TypeVar("Model", bound=BaseModel)
# Rows read (and written) per statement: memory stays bounded whatever the account holds.
BATCH = 1000
# The longest broker id or fingerprint an execution holds.
MAX_IDENTITY = 128


@dataclass(frozen=True)
class Source:
    """Whose data is exported, and from where."""

    session: Session
    store: ObjectStore
    user_id: uuid.UUID


@dataclass
class Restore:
    """A restore under way: the archive, the new ids of the old ones, what it stored."""

    session: Session
    store: ObjectStore
    user_id: uuid.UUID
    reader: ArchiveReader
    traceparent: str | None
    # kind → archived id → new id
    ids: defaultdict[str, dict[uuid.UUID, uuid.UUID]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    # Object keys written so far, removed again if the restore fails.
    stored: list[str] = field(default_factory=list)
    # New account id → the instruments its executions hold.
    instruments: defaultdict[uuid.UUID, set[InstrumentKey]] = field(
        default_factory=lambda: defaultdict(set)
    )
    # New position id → the execution that opens it.
    openings: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)

    def new_id(self, kind: str, old: uuid.UUID, where: str) -> uuid.UUID:
        """A fresh id for the archived `old`; ArchiveError when the archive holds it twice."""
        if old in self.ids[kind]:
            raise ArchiveError(f"{where}:id", f"repeats {old}")
        new = self.ids[kind][old] = uuid.uuid4()
        return new

    def id_of(self, kind: str, old: uuid.UUID, where: str) -> uuid.UUID:
        """The new id of an archived one; ArchiveError when the archive holds no such record."""
        try:
            return self.ids[kind][old]
        except KeyError:
            raise ArchiveError(where, f"names {old}, which the archive's {kind} lack") from None

    def known(self, kind: str, olds: Iterable[uuid.UUID]) -> list[uuid.UUID]:
        """The new ids of those of `olds` the archive holds (others are left out)."""
        return [self.ids[kind][old] for old in olds if old in self.ids[kind]]


@dataclass(frozen=True)
class Kind:
    """One kind of record: writes its files into an archive, restores them from one."""

    name: str
    write: Callable[[Source, ArchiveWriter], None]
    # Returns how many records it restored.
    restore: Callable[[Restore], int]


@dataclass(frozen=True)
class _RecordsKind(Generic[Model]):
    name: str
    model: type[Model]
    read: Callable[[Source], Iterable[Model]]
    restore: Callable[[Restore, Iterator[tuple[str, Model]]], None]
    tabular: bool
    files: Callable[[Source, Model], Iterable[tuple[str, Iterable[bytes]]]] | None

    def write_files(self, source: Source, writer: ArchiveWriter) -> None:
        table = f"{self.name}.csv" if self.tabular else None
        writer.records(f"{self.name}.jsonl", self.read(source), table)
        if self.files is not None:
            for record in self.read(source):
                for name, chunks in self.files(source, record):
                    writer.blob(name, chunks)

    def restore_files(self, restore: Restore) -> int:
        counted = _Counted(restore.reader.records(f"{self.name}.jsonl", self.model))
        self.restore(restore, iter(counted))
        return counted.count


class _Counted(Generic[Model]):
    def __init__(self, records: Iterator[tuple[str, Model]]) -> None:
        self._records = records
        self.count = 0

    def __iter__(self) -> Iterator[tuple[str, Model]]:
        for item in self._records:
            self.count += 1
            yield item


def records_kind(
    name: str,
    model: type[Model],
    read: Callable[[Source], Iterable[Model]],
    restore: Callable[[Restore, Iterator[tuple[str, Model]]], None],
    *,
    tabular: bool = False,
    files: Callable[[Source, Model], Iterable[tuple[str, Iterable[bytes]]]] | None = None,
) -> Kind:
    """A kind kept as `<name>.jsonl` (and `<name>.csv` when `tabular`): `read` gives the
    trader's records, `restore` stores the archived ones, each already validated."""
    kind = _RecordsKind(name, model, read, restore, tabular, files)
    return Kind(name, kind.write_files, kind.restore_files)


def _streamed(session: Session, statement: Select[Any]) -> Iterator[Any]:
    """The ORM records of `statement`, fetched BATCH at a time."""
    yield from session.scalars(statement.execution_options(yield_per=BATCH))


def _stored_file(store: ObjectStore, key: str) -> Iterator[bytes]:
    yield from obstore.get(store, key).stream(min_chunk_size=CHUNK_BYTES)


def _put(restore: Restore, key: str, name: str) -> None:
    with restore.reader.open(name) as source:
        obstore.put(restore.store, key, source)
    restore.stored.append(key)


# Tags


def _read_tags(source: Source) -> Iterator[Tag]:
    statement = select(TagRecord).where(TagRecord.user_id == source.user_id)
    for record in _streamed(source.session, statement.order_by(TagRecord.key)):
        yield to_tag(record)


def _restore_tags(restore: Restore, records: Iterator[tuple[str, Tag]]) -> None:
    seen: set[str] = set()
    for where, tag in records:
        name = clean_tags([tag.name], f"{where}:name")[0]
        if name.lower() in seen:
            raise ArchiveError(f"{where}:name", f"repeats the tag {name!r}")
        seen.add(name.lower())
        restore.session.add(
            TagRecord(
                id=restore.new_id("tags", tag.id, where),
                user_id=restore.user_id,
                name=name,
                key=name.lower(),
                kind=tag.kind,
            )
        )
    restore.session.flush()


# Accounts and their futures specs


def _read_accounts(source: Source) -> Iterator[Account]:
    statement = select(AccountRecord).where(AccountRecord.user_id == source.user_id)
    for record in _streamed(
        source.session, statement.order_by(AccountRecord.created_at, AccountRecord.id)
    ):
        yield to_account(record)


def _restore_accounts(restore: Restore, records: Iterator[tuple[str, Account]]) -> None:
    for where, account in records:
        if not is_time_zone(account.time_zone):
            raise ArchiveError(f"{where}:time_zone", "is not an IANA time zone")
        for problem in rule_problems(account.default_stop, f"{where}:default_stop:distance"):
            raise ArchiveError(problem.location, problem.message)
        restore.session.add(
            AccountRecord(
                id=restore.new_id("accounts", account.id, where),
                user_id=restore.user_id,
                name=account.name,
                broker=account.broker,
                account_number_masked=account.account_number_masked,
                base_currency=account.base_currency,
                time_zone=account.time_zone,
                matching_method=account.matching_method,
                breakeven_band=account.breakeven_band,
                starting_balance=account.starting_balance,
                risk_unit=account.risk_unit,
                **stop_columns(account.default_stop),
                created_at=account.created_at,
            )
        )
    restore.session.flush()


def _read_cash_movements(source: Source) -> Iterator[CashMovement]:
    statement = (
        select(CashMovementRecord, AccountRecord.base_currency)
        .join(AccountRecord, AccountRecord.id == CashMovementRecord.account_id)
        .where(AccountRecord.user_id == source.user_id)
        .order_by(CashMovementRecord.occurred_at, CashMovementRecord.id)
        .execution_options(yield_per=BATCH)
    )
    for record, currency in source.session.execute(statement):
        yield to_movement(record, currency)


def _restore_cash_movements(restore: Restore, records: Iterator[tuple[str, CashMovement]]) -> None:
    for where, movement in records:
        if movement.amount == 0:
            raise ArchiveError(f"{where}:amount", "must not be zero")
        restore.session.add(
            CashMovementRecord(
                id=restore.new_id("cash_movements", movement.id, where),
                account_id=restore.id_of("accounts", movement.account_id, f"{where}:account_id"),
                occurred_at=movement.occurred_at,
                amount=movement.amount,
                note=movement.note,
                created_at=movement.created_at,
            )
        )
    restore.session.flush()


# Playbooks: restored before positions, whose ticks name their criteria.


def _read_playbooks(source: Source) -> Iterator[Playbook]:
    yield from list_playbooks(source.session, source.user_id)


def _restore_playbooks(restore: Restore, records: Iterator[tuple[str, Playbook]]) -> None:
    for where, playbook in records:
        for problem in rule_problems(playbook.default_stop, f"{where}:default_stop:distance"):
            raise ArchiveError(problem.location, problem.message)
        record = PlaybookRecord(
            id=restore.new_id("playbooks", playbook.id, where),
            user_id=restore.user_id,
            name=playbook.name,
            key=playbook.name.lower(),
            description=playbook.description,
            archived=playbook.archived,
            **stop_columns(playbook.default_stop),
            created_at=playbook.created_at,
            updated_at=playbook.updated_at,
        )
        restore.session.add(record)
        # Without an ORM relationship the flush would not order the playbook first.
        restore.session.flush()
        restore.session.add_all(
            PlaybookCriterionRecord(
                id=restore.new_id("playbook_criteria", item.id, f"{where}:criteria:{rank}"),
                playbook_id=record.id,
                text=item.text,
                rank=rank,
            )
            for rank, item in enumerate(playbook.criteria)
        )
    restore.session.flush()


def _write_contract_specs(source: Source, writer: ArchiveWriter) -> None:
    # ContractSpecOverride names no account: each account's specs are a file of their own.
    statement = (
        select(ContractSpecOverrideRecord)
        .join(AccountRecord, AccountRecord.id == ContractSpecOverrideRecord.account_id)
        .where(AccountRecord.user_id == source.user_id)
        .order_by(AccountRecord.created_at, AccountRecord.id, ContractSpecOverrideRecord.root)
    )
    rows = source.session.scalars(statement).all()
    for account_id, specs in itertools.groupby(rows, key=lambda row: row.account_id):
        writer.records(f"contract_specs/{account_id}.jsonl", (to_override(s) for s in specs))


def _restore_contract_specs(restore: Restore) -> int:
    count = 0
    for name in restore.reader.names_under("contract_specs"):
        stem = name.removeprefix("contract_specs/").removesuffix(".jsonl")
        try:
            old_account = uuid.UUID(stem)
        except ValueError:
            raise ArchiveError(name, "is not named after an account id") from None
        account_id = restore.id_of("accounts", old_account, name)
        for _where, spec in restore.reader.records(name, ContractSpecOverride):
            restore.session.add(
                ContractSpecOverrideRecord(
                    account_id=account_id,
                    root=spec.root,
                    point_value=spec.point_value,
                    tick_size=spec.tick_size,
                    currency=spec.currency,
                    exchange=spec.exchange,
                    session=spec.session,
                )
            )
            count += 1
    restore.session.flush()
    return count


# Fee schedules: restored as they were, the fills keeping the costs they were priced at.


def _read_fee_schedules(source: Source) -> Iterator[FeeSchedule]:
    statement = (
        select(AccountRecord.id)
        .where(
            AccountRecord.user_id == source.user_id,
            or_(
                AccountRecord.fee_schedule_updated_at.is_not(None),
                exists().where(FeeRuleRecord.account_id == AccountRecord.id),
            ),
        )
        .order_by(AccountRecord.created_at, AccountRecord.id)
    )
    for account_id in source.session.scalars(statement).all():
        yield get_schedule(source.session, source.user_id, account_id)


def _restore_fee_schedules(restore: Restore, records: Iterator[tuple[str, FeeSchedule]]) -> None:
    for where, schedule in records:
        account_id = restore.id_of("accounts", schedule.account_id, f"{where}:account_id")
        account = restore.session.get_one(AccountRecord, account_id)
        if account.fee_schedule_updated_at is not None:
            raise ArchiveError(f"{where}:account_id", "repeats another schedule's account")
        try:
            rules = checked_rules(schedule.rules)
        except AppError as error:
            [first, *_] = error.errors
            raise ArchiveError(
                f"{where}:{first.location.removeprefix('body.')}", first.message
            ) from None
        restore.session.add_all(
            FeeRuleRecord(account_id=account_id, rank=rank, **rule.model_dump())
            for rank, rule in enumerate(rules)
        )
        # An archived schedule was saved at some time; one without is restored as saved now.
        account.fee_schedule_updated_at = schedule.updated_at or utcnow()
    restore.session.flush()


# Saved column mappings


def _read_mappings(source: Source) -> Iterator[SavedColumnMapping]:
    statement = select(SavedColumnMappingRecord).where(
        SavedColumnMappingRecord.user_id == source.user_id
    )
    for record in _streamed(
        source.session,
        statement.order_by(SavedColumnMappingRecord.created_at, SavedColumnMappingRecord.id),
    ):
        yield to_saved_mapping(record)


def _restore_mappings(restore: Restore, records: Iterator[tuple[str, SavedColumnMapping]]) -> None:
    for where, mapping in records:
        restore.session.add(
            SavedColumnMappingRecord(
                id=restore.new_id("column_mappings", mapping.id, where),
                user_id=restore.user_id,
                account_id=restore.id_of("accounts", mapping.account_id, f"{where}:account_id"),
                name=mapping.name,
                mapping=stored(mapping.mapping),
                created_at=mapping.created_at,
            )
        )
    restore.session.flush()


# Imports and their raw files


def raw_file_name(job: ImportDetail) -> str:
    return f"imports/{job.id}/{job.filename}"


def _read_imports(source: Source) -> Iterator[ImportDetail]:
    statement = select(ImportRecord).where(ImportRecord.user_id == source.user_id)
    for record in _streamed(
        source.session, statement.order_by(ImportRecord.created_at, ImportRecord.id)
    ):
        yield to_detail(record)


def _import_files(source: Source, job: ImportDetail) -> Iterator[tuple[str, Iterable[bytes]]]:
    key = object_key(source.user_id, job.id)
    yield raw_file_name(job), _stored_file(source.store, key)


def _restore_imports(restore: Restore, records: Iterator[tuple[str, ImportDetail]]) -> None:
    for where, job in records:
        import_id = restore.new_id("imports", job.id, where)
        name = raw_file_name(job)
        if not restore.reader.holds(name):
            raise ArchiveError(where, f"its raw file {name} is missing")
        key = object_key(restore.user_id, import_id)
        _put(restore, key, name)
        restore.session.add(
            ImportRecord(
                id=import_id,
                user_id=restore.user_id,
                account_id=restore.id_of("accounts", job.account_id, f"{where}:account_id"),
                filename=safe_filename(job.filename),
                object_key=key,
                format=job.format,
                detected_format=job.detected_format,
                mode=job.mode,
                status=job.status,
                size_bytes=job.size_bytes,
                new_count=job.counts.new,
                duplicate_count=job.counts.duplicate,
                rejected_count=job.counts.rejected,
                rejected_rows=[row.model_dump(mode="json") for row in job.rejected_rows],
                error=job.error,
                mapping=stored(job.mapping) if job.mapping else None,
                time_zone=job.time_zone,
                created_at=job.created_at,
                finished_at=job.finished_at,
                undone_at=job.undone_at,
            )
        )
    restore.session.flush()


# Executions


def _read_executions(source: Source) -> Iterator[Execution]:
    # The position a fill belongs to; a fill that closes one and opens the next names the next.
    position = (
        select(PositionFillRecord.position_id)
        .join(PositionRecord, PositionRecord.id == PositionFillRecord.position_id)
        .where(PositionFillRecord.execution_id == ExecutionRecord.id)
        .order_by(PositionRecord.opened_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    statement = (
        select(ExecutionRecord, position)
        .where(ExecutionRecord.user_id == source.user_id)
        .order_by(ExecutionRecord.executed_at, ExecutionRecord.recorded_order)
        .execution_options(yield_per=BATCH)
    )
    for rows in source.session.execute(statement).partitions():
        yield from _archived(
            source.session, [(record, position_id) for record, position_id in rows]
        )


def _archived(
    session: Session, fills: Sequence[tuple[ExecutionRecord, uuid.UUID | None]]
) -> list[Execution]:
    """The fills as the archive keeps them: with the trader's edits, and each time at the
    offset its source reported it in, so a restore keeps the offset too."""
    edits = edits_of(session, [record for record, _ in fills])
    archived = []
    for record, position_id in fills:
        fill = to_execution(record, position_id, edits.get(record.key()))
        zone = dt.timezone(dt.timedelta(minutes=record.utc_offset_minutes))
        archived.append(
            fill.model_copy(update={"executed_at": record.executed_at.astimezone(zone)})
        )
    return archived


_EXECUTIONS = ExecutionRecord.metadata.tables["executions"]


def _restore_executions(restore: Restore, records: Iterator[tuple[str, Execution]]) -> None:
    identities: set[tuple[uuid.UUID, str, str]] = set()
    specs: dict[uuid.UUID, Mapping[str, ContractSpec]] = {}
    rows: list[dict[str, Any]] = []
    edits: list[dict[str, Any]] = []
    for where, fill in records:
        account_id = restore.id_of("accounts", fill.account_id, f"{where}:account_id")
        # Archives written before fills showed their fingerprint lack it: a fill entered by
        # hand gets a new one; an imported fill without a broker id stays without.
        fingerprint = fill.fingerprint
        if fingerprint is None and fill.source == "manual":
            fingerprint = f"manual:{uuid.uuid4()}"
        for name, identity in (
            ("broker_execution_id", fill.broker_execution_id),
            ("fingerprint", fingerprint),
        ):
            if identity is None:
                continue
            if len(identity) > MAX_IDENTITY:
                raise ArchiveError(f"{where}:{name}", f"is longer than {MAX_IDENTITY} characters")
            if (account_id, name, identity) in identities:
                raise ArchiveError(f"{where}:{name}", "repeats another execution of the account")
            identities.add((account_id, name, identity))
        instrument = fill.instrument
        restore.instruments[account_id].add(
            InstrumentKey(instrument.asset_class, instrument.symbol)
        )
        if account_id not in specs:
            specs[account_id] = account_specs(restore.session, account_id)
        execution_id = restore.new_id("executions", fill.id, where)
        broker_id, fill_fingerprint = fill_key(fill.broker_execution_id, fingerprint)
        # The trader's layer, kept by the fill's identity as when it was edited (a fill of
        # an older archive may have none to keep it by; its values are the edited ones).
        if fill.edits and (broker_id or fill_fingerprint):
            edits.append(
                {
                    "id": uuid.uuid4(),
                    "user_id": restore.user_id,
                    "account_id": account_id,
                    "broker_execution_id": broker_id,
                    "fingerprint": fill_fingerprint,
                    "changes": {
                        edit.field: {"original": edit.original, "value": edit.value}
                        for edit in fill.edits
                    },
                    "deleted": False,
                }
            )
        rows.append(
            {
                "id": execution_id,
                "user_id": restore.user_id,
                "account_id": account_id,
                "import_id": restore.id_of("imports", fill.import_id, f"{where}:import_id")
                if fill.import_id is not None
                else None,
                "broker_execution_id": fill.broker_execution_id,
                "fingerprint": fingerprint,
                # In file order, so fills at the same time keep the order they had.
                "recorded_order": next_recorded_order(),
                "executed_at": fill.executed_at,
                "utc_offset_minutes": _offset_minutes(fill.executed_at),
                "asset_class": instrument.asset_class,
                "symbol": instrument.symbol,
                "currency": fill.currency,
                "multiplier": instrument.multiplier,
                "underlying": instrument.underlying,
                "expiry": instrument.expiry,
                "strike": instrument.strike,
                "option_right": instrument.right,
                "root": instrument.root,
                "exchange": instrument.exchange,
                "tick_size": instrument.tick_size,
                "spec_fields": _spec_fields(instrument, specs[account_id]),
                "side": fill.side,
                "quantity": fill.quantity,
                "price": fill.price,
                "commission": fill.commission,
                "fees": fill.fees,
                "fx_rate_to_base": fill.fx_rate_to_base,
                "order_id": fill.order_id,
                "open_close": fill.open_close,
                "kind": fill.kind,
                "source_line": fill.source_line,
                "source": fill.source,
                "fee_source": fill.fee_source,
                "note": fill.note,
            }
        )
        if len(rows) == BATCH:
            restore.session.execute(insert(_EXECUTIONS), rows)
            rows = []
    if rows:
        restore.session.execute(insert(_EXECUTIONS), rows)
    if edits:
        restore.session.execute(insert(ExecutionEditRecord), edits)
    # Positions are built again by matching, as after an import.
    for account_id, keys in restore.instruments.items():
        account = restore.session.get_one(AccountRecord, account_id)
        rematch(restore.session, account, keys, restore.traceparent)


def _offset_minutes(at: dt.datetime) -> int:
    offset = at.utcoffset()
    return int(offset.total_seconds() // 60) if offset else 0


def _spec_fields(instrument: Instrument, specs: Mapping[str, ContractSpec]) -> str:
    """The instrument fields taken as left to the account's contract specs: those holding
    what the spec of the fill's root gives. A field left to the specs always holds it (a
    spec change rewrites them); one the importer sent with the same value is taken for one,
    as the archive does not say which were sent."""
    root = futures_root(instrument)
    if root is None:
        return ""
    values = spec_values(specs.get(root))
    return ",".join(name for name in SPEC_FIELDS if getattr(instrument, name) == values[name])


# Positions: matched again from the executions; what the trader set on them is restored.


def _read_positions(source: Source) -> Iterator[PositionDetail]:
    statement = (
        select(PositionRecord)
        .join(ExecutionRecord, ExecutionRecord.id == PositionRecord.opening_execution_id)
        .where(PositionRecord.user_id == source.user_id)
        .order_by(PositionRecord.opened_at, ExecutionRecord.recorded_order)
        .execution_options(yield_per=BATCH)
    )
    for batch in source.session.scalars(statement).partitions():
        ids = [record.id for record in batch]
        fills: defaultdict[uuid.UUID, list[Execution]] = defaultdict(list)
        held = source.session.execute(
            select(ExecutionRecord, PositionFillRecord.position_id)
            .select_from(PositionFillRecord)
            .join(ExecutionRecord, ExecutionRecord.id == PositionFillRecord.execution_id)
            .where(PositionFillRecord.position_id.in_(ids))
            .order_by(ExecutionRecord.executed_at, ExecutionRecord.recorded_order)
        ).all()
        for fill in _archived(source.session, [(record, position) for record, position in held]):
            assert fill.position_id is not None
            fills[fill.position_id].append(fill)
        stops: defaultdict[uuid.UUID, list[PositionStop]] = defaultdict(list)
        for stop in source.session.scalars(
            select(PositionStopRecord)
            .where(PositionStopRecord.position_id.in_(ids))
            .order_by(PositionStopRecord.created_at, PositionStopRecord.id)
        ):
            stops[stop.position_id].append(PositionStop(stop=stop.stop, set_at=stop.created_at))
        followed = position_playbooks(source.session, source.user_id, ids)
        for record in batch:
            yield PositionDetail.model_validate(
                {
                    **position_fields(record, followed.get(record.id)),
                    "executions": fills[record.id],
                    "stops": stops[record.id],
                }
            )


_POSITIONS = PositionRecord.metadata.tables["positions"]


def _restore_positions(restore: Restore, records: Iterator[tuple[str, PositionDetail]]) -> None:
    opened_by = {
        opening: position_id
        for position_id, opening in restore.session.execute(
            select(PositionRecord.id, PositionRecord.opening_execution_id).where(
                PositionRecord.user_id == restore.user_id
            )
        )
    }
    restore.openings = {position_id: opening for opening, position_id in opened_by.items()}
    changes: list[dict[str, Any]] = []
    tag_rows: list[dict[str, Any]] = []
    stop_rows: list[dict[str, Any]] = []
    playbook_rows: list[dict[str, Any]] = []
    tick_rows: list[dict[str, Any]] = []
    tags: set[str] = set()
    for where, position in records:
        position_id = _matched(restore, opened_by, position, where)
        restore.ids["positions"][position.id] = position_id
        if (followed := position.playbook) is not None:
            playbook_rows.append(
                {
                    "position_id": position_id,
                    "playbook_id": restore.id_of(
                        "playbooks", followed.playbook_id, f"{where}:playbook:playbook_id"
                    ),
                }
            )
            tick_rows += (
                {
                    "position_id": position_id,
                    "criterion_id": restore.id_of(
                        "playbook_criteria", criterion, f"{where}:playbook:criteria_met"
                    ),
                }
                for criterion in followed.criteria_met
            )
        position_tags = clean_tags(position.tags, f"{where}:tags")
        tags.update(position_tags)
        tag_rows += ({"position_id": position_id, "name": tag.lower()} for tag in position_tags)
        stop_rows += (
            {"id": uuid.uuid4(), "position_id": position_id, "stop": stop.stop}
            | {"created_at": stop.set_at, "updated_at": stop.set_at}
            for stop in position.stops
        )
        changes.append(
            {
                "id": position_id,
                # The trader's stop: a default rule's is given again by the rules restored.
                "initial_stop": (
                    None if position.stop_source == "default_rule" else position.initial_stop
                ),
                "tags": position_tags,
                "mae": position.mae,
                "mfe": position.mfe,
                "mae_price": position.mae_price,
                "mfe_price": position.mfe_price,
            }
        )
    unmatched = len(opened_by) - len(restore.ids["positions"])
    if unmatched:
        raise ArchiveError(
            "positions.jsonl",
            f"matching the executions gives {unmatched} positions the archive does not hold",
        )
    session = restore.session
    update_rows(session, _POSITIONS, changes)
    if tag_rows:
        session.execute(insert(PositionTagRecord), tag_rows)
    if stop_rows:
        session.execute(insert(PositionStopRecord), stop_rows)
    if playbook_rows:
        session.execute(insert(PositionPlaybookRecord), playbook_rows)
    if tick_rows:
        session.execute(insert(PositionCriterionRecord), tick_rows)
    register_tags(session, restore.user_id, tags)
    # Matching gave the account's rule; a playbook's rule goes before it.
    reapply_rules(
        session,
        restore.user_id,
        _POSITIONS.c.id.in_(
            select(PositionPlaybookRecord.position_id)
            .join(PlaybookRecord, PlaybookRecord.id == PositionPlaybookRecord.playbook_id)
            .where(
                PlaybookRecord.user_id == restore.user_id,
                PlaybookRecord.default_stop_kind.is_not(None),
            )
        ),
    )
    # The days' R sums read the stops just restored.
    for account_id, keys in restore.instruments.items():
        refresh_daily_pnl(session, restore.user_id, account_id, dict.fromkeys(keys))


def _matched(
    restore: Restore, opened_by: dict[uuid.UUID, uuid.UUID], position: PositionDetail, where: str
) -> uuid.UUID:
    # The position matching opened at one of its fills: the earliest of them that opens one.
    taken = set(restore.ids["positions"].values())
    for fill in position.executions:
        position_id = opened_by.get(restore.id_of("executions", fill.id, f"{where}:executions"))
        if position_id is not None and position_id not in taken:
            return position_id
    raise ArchiveError(where, "matching its executions again does not open this position")


# Journal entries


def _read_journal(source: Source) -> Iterator[JournalEntry]:
    statement = select(JournalEntryRecord).where(JournalEntryRecord.user_id == source.user_id)
    for record in _streamed(
        source.session, statement.order_by(JournalEntryRecord.created_at, JournalEntryRecord.id)
    ):
        yield to_entry(record)


def _restore_journal(restore: Restore, records: Iterator[tuple[str, JournalEntry]]) -> None:
    repository = JournalRepository(restore.session, restore.user_id)
    for where, entry in records:
        tags = clean_tags(entry.tags, f"{where}:tags")
        repository.add(
            JournalEntryRecord(
                id=restore.new_id("journal_entries", entry.id, where),
                day=entry.day,
                position_id=restore.id_of("positions", entry.position_id, f"{where}:position_id")
                if entry.position_id is not None
                else None,
                body=entry.body,
                mood=entry.mood,
                tags=tags,
                created_at=entry.created_at,
                updated_at=entry.updated_at,
            )
        )
        register_tags(restore.session, restore.user_id, tags)


# Attachments and their pictures


def picture_name(attachment: Attachment) -> str:
    return f"attachments/{attachment.id}/{attachment.filename}"


def _read_attachments(source: Source) -> Iterator[Attachment]:
    statement = select(AttachmentRecord).where(AttachmentRecord.user_id == source.user_id)
    for record in _streamed(
        source.session, statement.order_by(AttachmentRecord.created_at, AttachmentRecord.id)
    ):
        yield to_attachment(record)


def _attachment_files(
    source: Source, attachment: Attachment
) -> Iterator[tuple[str, Iterable[bytes]]]:
    key = source.session.scalars(
        select(AttachmentRecord.object_key).where(AttachmentRecord.id == attachment.id)
    ).one()
    yield picture_name(attachment), _stored_file(source.store, key)


def _restore_attachments(restore: Restore, records: Iterator[tuple[str, Attachment]]) -> None:
    for where, attachment in records:
        name = picture_name(attachment)
        if not restore.reader.holds(name):
            raise ArchiveError(where, f"its file {name} is missing")
        if restore.reader.size(name) > MAX_PICTURE_BYTES:
            raise ArchiveError(name, f"is larger than {MAX_PICTURE_BYTES} bytes")
        with restore.reader.open(name) as source:
            data = source.read()
        owner_kind = "positions" if attachment.owner_kind == "position" else "journal_entries"
        owner = Owner(
            attachment.owner_kind,
            restore.id_of(owner_kind, attachment.owner_id, f"{where}:owner_id"),
        )
        # Checked and encoded again like any upload: an archive is untrusted input.
        try:
            record = add_attachment(
                restore.session, restore.store, restore.user_id, owner, attachment.filename, data
            )
        except ImageRefusedError as error:
            raise ArchiveError(name, error.errors[0].message) from None
        except AppError as error:
            raise ArchiveError(where, error.detail or error.title) from None
        restore.stored += [record.object_key, record.thumbnail_key]
        record.created_at = attachment.created_at
    restore.session.flush()


# The trading plan: every version with its rules, and the violations found


def _read_plan_versions(source: Source) -> Iterator[PlanVersion]:
    records = source.session.scalars(
        select(PlanVersionRecord)
        .where(PlanVersionRecord.user_id == source.user_id)
        .order_by(PlanVersionRecord.version)
    ).all()
    until: list[Any] = [later.effective_from for later in records[1:]]
    for record, end in itertools.zip_longest(records, until):
        yield PlanVersion.model_validate(
            {**plan_fields(record.plan_id, record), "effective_until": end}
        )


def _restore_plan_versions(restore: Restore, records: Iterator[tuple[str, PlanVersion]]) -> None:
    plan: TradingPlanRecord | None = None
    for where, version in records:
        if plan is None:
            plan = TradingPlanRecord(id=uuid.uuid4(), user_id=restore.user_id, current_version=0)
            restore.session.add(plan)
            restore.session.flush()
        if version.version <= plan.current_version:
            raise ArchiveError(f"{where}:version", "is not after the version before it")
        plan.current_version = version.version
        restore.session.add(
            PlanVersionRecord(
                plan_id=plan.id,
                user_id=restore.user_id,
                version=version.version,
                effective_from=version.effective_from,
                rules=[
                    _rule(restore, rule.id, rule.name, rule.enabled, rule.params, f"{where}:{i}")
                    for i, rule in enumerate(version.rules)
                ],
                faults={},
            )
        )
    restore.session.flush()


def _rule(
    restore: Restore,
    old_id: uuid.UUID,
    name: str,
    enabled: bool,
    params: dict[str, object],
    where: str,
) -> dict[str, Any]:
    try:
        rule = RuleCreate.model_validate({"name": name, "enabled": enabled, "params": params})
    except ValidationError as error:
        first = error.errors()[0]
        location = ".".join(str(part) for part in first["loc"])
        raise ArchiveError(f"{where}:rules.{location}", first["msg"]) from None
    # A rule keeps one id across the versions that hold it, as it did before.
    rule_ids = restore.ids["rules"]
    new_id = rule_ids.setdefault(old_id, uuid.uuid4())
    return {
        "id": str(new_id),
        "name": rule.name,
        "enabled": rule.enabled,
        "params": rule.params.model_dump(mode="json"),
    }


def _read_violations(source: Source) -> Iterator[Violation]:
    statement = (
        select(ViolationRecord)
        .outerjoin(PositionRecord, PositionRecord.id == ViolationRecord.position_id)
        .where(ViolationRecord.user_id == source.user_id)
        .order_by(
            ViolationRecord.day,
            ViolationRecord.detected_at,
            ViolationRecord.rule_kind,
            PositionRecord.opened_at,
            ViolationRecord.observed,
        )
    )
    for record in _streamed(source.session, statement):
        yield to_violation(record)


_VIOLATIONS = ViolationRecord.metadata.tables["violations"]


def _restore_violations(restore: Restore, records: Iterator[tuple[str, Violation]]) -> None:
    rows: list[dict[str, Any]] = []
    for where, violation in records:
        rule_id = restore.id_of("rules", violation.rule_id, f"{where}:rule_id")
        position_id = (
            restore.id_of("positions", violation.position_id, f"{where}:position_id")
            if violation.position_id is not None
            else None
        )
        if violation.day is None:
            raise ArchiveError(f"{where}:day", "is required")
        rows.append(
            {
                "id": restore.new_id("violations", violation.id, where),
                "user_id": restore.user_id,
                # The key evaluation finds it by, so the next evaluation keeps it.
                "key": f"{rule_id}:{position_id or '-'}:{violation.day.isoformat()}",
                "rule_id": rule_id,
                "rule_kind": violation.rule_kind,
                "plan_version": violation.plan_version,
                "position_id": position_id,
                "execution_id": restore.openings.get(position_id) if position_id else None,
                "day": violation.day,
                "observed": violation.observed,
                "allowed": violation.allowed,
                "cost": violation.cost,
                "currency": violation.currency,
                "detected_at": violation.detected_at,
                "created_at": violation.detected_at,
                "updated_at": violation.detected_at,
            }
        )
        if len(rows) == BATCH:
            restore.session.execute(insert(_VIOLATIONS), rows)
            rows = []
    if rows:
        restore.session.execute(insert(_VIOLATIONS), rows)


# Coach insights and weekly reviews


def _read_insights(source: Source) -> Iterator[Insight]:
    statement = select(InsightRecord).where(InsightRecord.user_id == source.user_id)
    for record in _streamed(
        source.session, statement.order_by(InsightRecord.created_at, InsightRecord.id)
    ):
        yield to_insight(record)


def _restore_insights(restore: Restore, records: Iterator[tuple[str, Insight]]) -> None:
    for where, insight in records:
        evidence = insight.evidence.model_dump(mode="json") | {
            "position_ids": [
                str(new) for new in restore.known("positions", insight.evidence.position_ids)
            ]
        }
        restore.session.add(
            InsightRecord(
                id=restore.new_id("insights", insight.id, where),
                user_id=restore.user_id,
                kind=insight.kind,
                title=insight.title,
                body=insight.body,
                evidence=evidence,
                confidence=insight.confidence,
                cost=insight.cost,
                currency=insight.currency,
                suggested_rule=insight.suggested_rule,
                period_start=insight.period_start,
                period_end=insight.period_end,
                created_at=insight.created_at,
            )
        )
    restore.session.flush()


def _read_reviews(source: Source) -> Iterator[WeeklyReview]:
    statement = select(WeeklyReviewRecord).where(WeeklyReviewRecord.user_id == source.user_id)
    for record in _streamed(source.session, statement.order_by(WeeklyReviewRecord.week_start)):
        yield to_review(record)


def _restore_reviews(restore: Restore, records: Iterator[tuple[str, WeeklyReview]]) -> None:
    weeks: set[Any] = set()
    for where, review in records:
        if review.week_start in weeks:
            raise ArchiveError(f"{where}:week_start", "repeats a week")
        weeks.add(review.week_start)
        restore.session.add(
            WeeklyReviewRecord(
                id=restore.new_id("weekly_reviews", review.id, where),
                user_id=restore.user_id,
                week_start=review.week_start,
                summary=review.summary,
                focus=review.focus,
                metrics=review.metrics,
                insight_ids=[str(new) for new in restore.known("insights", review.insight_ids)],
                report=review.report.model_dump(mode="json") if review.report else None,
                created_at=review.created_at,
            )
        )
    restore.session.flush()


KINDS: tuple[Kind, ...] = (
    records_kind("tags", Tag, _read_tags, _restore_tags),
    records_kind("accounts", Account, _read_accounts, _restore_accounts),
    records_kind("cash_movements", CashMovement, _read_cash_movements, _restore_cash_movements),
    records_kind("playbooks", Playbook, _read_playbooks, _restore_playbooks),
    Kind("contract_specs", _write_contract_specs, _restore_contract_specs),
    records_kind("fee_schedules", FeeSchedule, _read_fee_schedules, _restore_fee_schedules),
    records_kind("column_mappings", SavedColumnMapping, _read_mappings, _restore_mappings),
    records_kind("imports", ImportDetail, _read_imports, _restore_imports, files=_import_files),
    records_kind("executions", Execution, _read_executions, _restore_executions, tabular=True),
    records_kind("positions", PositionDetail, _read_positions, _restore_positions, tabular=True),
    records_kind("journal_entries", JournalEntry, _read_journal, _restore_journal, tabular=True),
    records_kind(
        "attachments",
        Attachment,
        _read_attachments,
        _restore_attachments,
        files=_attachment_files,
    ),
    records_kind("plan_versions", PlanVersion, _read_plan_versions, _restore_plan_versions),
    records_kind("violations", Violation, _read_violations, _restore_violations),
    records_kind("insights", Insight, _read_insights, _restore_insights),
    records_kind("weekly_reviews", WeeklyReview, _read_reviews, _restore_reviews),
)
"""Every kind an archive holds, in restore order."""
