"""An account's own futures contract specs, used instead of the built-in table.

Each fill keeps which spec fields its importer left out (`ExecutionRecord.spec_fields`).
Saving or deleting an account's spec of a root writes the new values into exactly those
fields of the account's fills of that root, then rematches those instruments from their
first fill, so positions, both daily tables and the plan's verdicts follow at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tradeloop_contracts import ContractSpecOverride

from core_api.accounts.models import AccountRecord, ContractSpecOverrideRecord
from core_api.accounts.repository import AccountRepository
from core_api.errors import AppError, FieldError, NotFoundError
from core_api.executions.models import ExecutionRecord
from core_api.instruments.futures import CONTRACT_SPECS, ContractSpec, specs_with_overrides
from core_api.instruments.normalise import FUTURES_CLASSES, SPEC_FIELDS, spec_values
from core_api.positions.service import InstrumentKey
from core_api.positions.settle import settle_instruments


def account_specs(session: Session, account_id: uuid.UUID) -> Mapping[str, ContractSpec]:
    """The built-in table with the account's own specs in place."""
    overrides = session.scalars(
        select(ContractSpecOverrideRecord).where(
            ContractSpecOverrideRecord.account_id == account_id
        )
    )
    return specs_with_overrides({record.root: _spec(record) for record in overrides})


def list_overrides(
    session: Session, user_id: uuid.UUID, account_id: uuid.UUID
) -> Sequence[ContractSpecOverrideRecord]:
    """The account's own specs by root; NotFoundError for another trader's account."""
    AccountRepository(session, user_id).get(account_id)
    return session.scalars(
        select(ContractSpecOverrideRecord)
        .where(ContractSpecOverrideRecord.account_id == account_id)
        .order_by(ContractSpecOverrideRecord.root)
    ).all()


def get_override(
    session: Session, user_id: uuid.UUID, account_id: uuid.UUID, root: str
) -> ContractSpecOverrideRecord:
    """The account's own spec of `root` (any case); NotFoundError when it has none."""
    AccountRepository(session, user_id).get(account_id)
    record = _find(session, account_id, root.upper())
    if record is None:
        raise NotFoundError("contract spec for that root")
    return record


def put_override(
    session: Session,
    user_id: uuid.UUID,
    account_id: uuid.UUID,
    root: str,
    body: ContractSpecOverride,
    traceparent: str | None,
) -> ContractSpecOverrideRecord:
    """Saves the account's spec of `root` and recomputes its positions of that root.

    A 422 problem naming `body.root` when it is not the root in the path, and
    `body.point_value` / `body.tick_size` unless they are positive.
    """
    root = root.upper()
    problems = [
        FieldError(f"body.{name}", "must be greater than 0")
        for name in ("point_value", "tick_size")
        if getattr(body, name) <= 0
    ]
    if body.root.upper() != root:
        problems.insert(0, FieldError("body.root", f"is not the root in the path, {root}"))
    if problems:
        raise AppError(422, "Invalid request", errors=problems)
    # Batches of this account wait until the new spec is in place (see executions).
    account = AccountRepository(session, user_id).get(account_id, for_update=True)
    record = _find(session, account_id, root)
    if record is None:
        record = ContractSpecOverrideRecord(account_id=account_id, root=root)
        session.add(record)
    record.point_value = body.point_value
    record.tick_size = body.tick_size
    record.currency = body.currency
    record.exchange = body.exchange
    record.session = body.session
    session.flush()
    _apply(session, account, root, traceparent)
    return record


def delete_override(
    session: Session, user_id: uuid.UUID, account_id: uuid.UUID, root: str, traceparent: str | None
) -> None:
    """Drops the account's spec of `root`, so the built-in one (if any) applies again, and
    recomputes its positions of that root. NotFoundError when it has none."""
    account = AccountRepository(session, user_id).get(account_id, for_update=True)
    record = _find(session, account_id, root.upper())
    if record is None:
        raise NotFoundError("contract spec for that root")
    session.delete(record)
    session.flush()
    _apply(session, account, root.upper(), traceparent)


def to_override(record: ContractSpecOverrideRecord) -> ContractSpecOverride:
    return ContractSpecOverride(
        root=record.root,
        point_value=record.point_value,
        tick_size=record.tick_size,
        currency=record.currency,
        exchange=record.exchange,
        session=record.session,
    )


def _apply(session: Session, account: AccountRecord, root: str, traceparent: str | None) -> None:
    values = spec_values(account_specs(session, account.id).get(root))
    fills = session.scalars(
        select(ExecutionRecord).where(
            ExecutionRecord.account_id == account.id,
            ExecutionRecord.asset_class.in_(FUTURES_CLASSES),
            func.upper(func.coalesce(ExecutionRecord.root, ExecutionRecord.underlying)) == root,
        )
    ).all()
    touched: set[InstrumentKey] = set()
    for fill in fills:
        unsent = _unsent_fields(fill, root)
        fill.spec_fields = ",".join(unsent)
        if any(getattr(fill, name) != values[name] for name in unsent):
            for name in unsent:
                setattr(fill, name, values[name])
            touched.add(InstrumentKey(fill.asset_class, fill.symbol))
    session.flush()
    if touched:
        settle_instruments(session, account, touched, traceparent)


def _unsent_fields(fill: ExecutionRecord, root: str) -> tuple[str, ...]:
    if fill.spec_fields is not None:
        return tuple(name for name in fill.spec_fields.split(",") if name)
    # Stored before importers' choices were kept: a field holding what the built-in table
    # (or, for a root it lacks, the instrument default) gives was left to it.
    builtin = spec_values(CONTRACT_SPECS.get(root))
    return tuple(name for name in SPEC_FIELDS if getattr(fill, name) == builtin[name])


def _find(session: Session, account_id: uuid.UUID, root: str) -> ContractSpecOverrideRecord | None:
    return session.scalar(
        select(ContractSpecOverrideRecord).where(
            ContractSpecOverrideRecord.account_id == account_id,
            ContractSpecOverrideRecord.root == root,
        )
    )


def _spec(record: ContractSpecOverrideRecord) -> ContractSpec:
    return ContractSpec(
        exchange=record.exchange or _builtin_exchange(record.root),
        point_value=record.point_value,
        tick_size=record.tick_size,
        currency=record.currency,
    )


def _builtin_exchange(root: str) -> str | None:
    builtin = CONTRACT_SPECS.get(root)
    return builtin.exchange if builtin else None
