"""An account's fee schedule: costs for fills whose source reported none.

A fill is priced when it is stored: reported costs stand (`fee_source` broker); a fill
reporting no commission and no fees gets the most specific rule's cost as its commission
(`schedule`), or none without a rule (`none`). The reported costs of a `schedule` or `none`
fill are zero, so saving a schedule re-prices exactly those fills from scratch and rematches
the instruments whose costs changed, from the first changed fill on: positions, both daily
tables and the plan's verdicts follow at once.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import ColumnElement, delete, or_, select, update
from sqlalchemy.orm import Session
from tradeloop_contracts import FeeRule, FeeSchedule, FeeScheduleUpdate

from core_api.accounts.models import AccountRecord, FeeRuleRecord
from core_api.accounts.repository import AccountRepository
from core_api.errors import AppError, FieldError
from core_api.executions.models import ExecutionRecord
from core_api.imports.models import FINISHED, ImportRecord
from core_api.instruments.futures import FuturesSymbolError, parse_futures_symbol
from core_api.instruments.normalise import FUTURES_CLASSES
from core_api.kit.clock import utcnow
from core_api.positions.service import InstrumentKey
from core_api.positions.settle import settle_instruments

# Fills whose costs the schedule decides: their source reported none.
SCHEDULED = ("schedule", "none")
# Classes whose quantity counts contracts; the quantity of any other counts shares (units).
_CONTRACT_CLASSES = ("future", "future_option", "option")
_CENT = Decimal("0.01")
_ZERO = Decimal(0)


@dataclass(frozen=True)
class FeeTable:
    """An account's rules by asset class and root (None for the whole class)."""

    rules: Mapping[tuple[str, str | None], FeeRule]

    @classmethod
    def of(cls, rules: Iterable[FeeRule]) -> FeeTable:
        return cls({(rule.asset_class, rule.root): rule for rule in rules})

    def price(
        self,
        asset_class: str,
        root: str | None,
        quantity: Decimal,
        commission: Decimal,
        fees: Decimal,
    ) -> tuple[Decimal, str]:
        """The commission a fill carries and where it came from.

        Reported costs stand (broker). Otherwise the rule of the fill's root, or else of its
        asset class, gives per_contract × contracts + per_share × shares + per_order, at
        least `minimum`, rounded half up to the cent (schedule); no rule gives 0 (none).
        """
        if commission or fees:
            return commission, "broker"
        rule = self.rules.get((asset_class, root)) or self.rules.get((asset_class, None))
        if rule is None:
            return _ZERO, "none"
        per_unit = rule.per_contract if asset_class in _CONTRACT_CLASSES else rule.per_share
        cost = max(per_unit * quantity + rule.per_order, rule.minimum)
        return cost.quantize(_CENT, rounding=ROUND_HALF_UP), "schedule"


def fee_root(asset_class: str, symbol: str, root: str | None, underlying: str | None) -> str:
    """What a rule's `root` names for a fill: a future's root (ES for ESZ6), an option's
    underlying, the symbol of anything else; upper case."""
    if asset_class in FUTURES_CLASSES:
        return (root or underlying or symbol).upper()
    if asset_class == "option":
        return (underlying or symbol).upper()
    return symbol.upper()


def fee_table(session: Session, account_id: uuid.UUID) -> FeeTable:
    """The account's fee schedule, ready to price fills."""
    return FeeTable.of(_rules(session, account_id))


def get_schedule(session: Session, user_id: uuid.UUID, account_id: uuid.UUID) -> FeeSchedule:
    """The account's fee schedule (no rules until one is saved); NotFoundError for another
    trader's account."""
    account = AccountRepository(session, user_id).get(account_id)
    return _schedule(account, _rules(session, account.id))


def put_schedule(
    session: Session,
    user_id: uuid.UUID,
    account_id: uuid.UUID,
    body: FeeScheduleUpdate,
    traceparent: str | None,
) -> FeeSchedule:
    """Replaces the account's fee schedule and re-prices the fills it applies to.

    A 422 problem naming `body.rules.{index}.root` for a second rule of the same asset
    class and root, or a futures root given as a contract month (ESZ6 for ES).
    NotFoundError for another trader's account.
    """
    rules = checked_rules(body.rules)
    # Batches of this account wait until the new schedule is in place (see executions).
    account = AccountRepository(session, user_id).get(account_id, for_update=True)
    session.execute(delete(FeeRuleRecord).where(FeeRuleRecord.account_id == account.id))
    session.add_all(
        FeeRuleRecord(account_id=account.id, rank=rank, **rule.model_dump())
        for rank, rule in enumerate(rules)
    )
    account.fee_schedule_updated_at = utcnow()
    session.flush()
    # A running import's fills are priced when it settles (`reprice_import`), so its
    # fills stay out of positions until then.
    running = select(ImportRecord.id).where(
        ImportRecord.account_id == account.id, ImportRecord.status.not_in(FINISHED)
    )
    changed = reprice(
        session,
        account,
        FeeTable.of(rules),
        or_(ExecutionRecord.import_id.is_(None), ExecutionRecord.import_id.not_in(running)),
    )
    if changed:
        settle_instruments(session, account, changed, traceparent, since=changed)
    return _schedule(account, rules)


def reprice_import(session: Session, account: AccountRecord, record: ImportRecord) -> None:
    """Re-prices the import's fills when the schedule was saved after the import began
    (saving skips a running import's fills), so all take the schedule in place as the
    import settles."""
    saved = account.fee_schedule_updated_at
    if saved is not None and saved >= record.created_at:
        table = fee_table(session, account.id)
        reprice(session, account, table, ExecutionRecord.import_id == record.id)


def reprice(
    session: Session, account: AccountRecord, table: FeeTable, *where: ColumnElement[bool]
) -> dict[InstrumentKey, dt.datetime]:
    """Prices the account's fills that reported no costs (and match `where`) by `table`;
    per instrument whose costs changed, the time of its earliest changed fill."""
    fills = session.execute(
        select(
            ExecutionRecord.id,
            ExecutionRecord.asset_class,
            ExecutionRecord.symbol,
            ExecutionRecord.root,
            ExecutionRecord.underlying,
            ExecutionRecord.quantity,
            ExecutionRecord.commission,
            ExecutionRecord.fee_source,
            ExecutionRecord.executed_at,
        ).where(
            ExecutionRecord.account_id == account.id,
            ExecutionRecord.fee_source.in_(SCHEDULED),
            *where,
        )
    ).all()
    changes: list[dict[str, Any]] = []
    earliest: dict[InstrumentKey, dt.datetime] = {}
    for fill in fills:
        root = fee_root(fill.asset_class, fill.symbol, fill.root, fill.underlying)
        commission, source = table.price(fill.asset_class, root, fill.quantity, _ZERO, _ZERO)
        if (commission, source) == (fill.commission, fill.fee_source):
            continue
        changes.append({"id": fill.id, "commission": commission, "fee_source": source})
        key = InstrumentKey(fill.asset_class, fill.symbol)
        earliest[key] = min(fill.executed_at, earliest.get(key, fill.executed_at))
    if changes:
        session.execute(update(ExecutionRecord), changes)
    return earliest


def _rules(session: Session, account_id: uuid.UUID) -> list[FeeRule]:
    records = session.scalars(
        select(FeeRuleRecord)
        .where(FeeRuleRecord.account_id == account_id)
        .order_by(FeeRuleRecord.rank)
    )
    return [
        FeeRule.model_validate(
            {
                "asset_class": record.asset_class,
                "root": record.root,
                "per_contract": record.per_contract,
                "per_share": record.per_share,
                "per_order": record.per_order,
                "minimum": record.minimum,
            }
        )
        for record in records
    ]


def checked_rules(rules: list[FeeRule]) -> list[FeeRule]:
    """The rules as a schedule stores them (roots in upper case); a 422 problem naming
    `body.rules.{index}.root` for a second rule of the same asset class and root, or a
    futures root given as a contract month (ESZ6 for ES)."""
    rules = [rule.model_copy(update={"root": _upper(rule.root)}) for rule in rules]
    problems = _problems(rules)
    if problems:
        raise AppError(422, "Invalid request", errors=problems)
    return rules


def _schedule(account: AccountRecord, rules: list[FeeRule]) -> FeeSchedule:
    return FeeSchedule(
        account_id=account.id, rules=rules, updated_at=account.fee_schedule_updated_at
    )


def _problems(rules: list[FeeRule]) -> list[FieldError]:
    problems: list[FieldError] = []
    seen: set[tuple[str, str | None]] = set()
    for index, rule in enumerate(rules):
        where = f"body.rules.{index}.root"
        key = (rule.asset_class, rule.root)
        if key in seen:
            covers = f"root {rule.root}" if rule.root else "the whole class"
            problems.append(FieldError(where, f"a second rule for {rule.asset_class}, {covers}"))
        seen.add(key)
        if rule.root and rule.asset_class in FUTURES_CLASSES:
            try:
                month = parse_futures_symbol(rule.root, utcnow().year)
            except FuturesSymbolError:
                continue
            problems.append(
                FieldError(where, f"{rule.root} is a contract month; give its root, {month.root}")
            )
    return problems


def _upper(root: str | None) -> str | None:
    return (root or "").strip().upper() or None
