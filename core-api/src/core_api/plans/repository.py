"""Every plan and violation query, scoped to one trader."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, or_, select
from sqlalchemy.orm import Session

from core_api.accounts.models import AccountRecord
from core_api.errors import NotFoundError
from core_api.executions.models import ExecutionRecord
from core_api.instruments.sessions import trading_day
from core_api.journal.models import JournalEntryRecord
from core_api.kit.pagination import Cursor
from core_api.plans.engine import PositionFacts
from core_api.plans.models import PlanVersionRecord, TradingPlanRecord, ViolationRecord
from core_api.plans.propfirm import OpenChange, Trade
from core_api.positions.models import PositionFillRecord, PositionRecord, effective_stop_column
from core_api.positions.repository import PositionRepository

# A cooldown looks back up to a day; futures sessions shift the trading day by one more.
LOOK_BACK_DAYS = 2
# What an evaluation finds of a violation; the other columns are bookkeeping.
FOUND_COLUMNS = (
    "rule_id",
    "rule_kind",
    "plan_version",
    "position_id",
    "execution_id",
    "day",
    "observed",
    "allowed",
    "cost",
    "currency",
)
_CHUNK = 10_000


@dataclass(frozen=True)
class PlanRepository:
    session: Session
    user_id: uuid.UUID

    def plan(self, *, for_update: bool = False) -> TradingPlanRecord | None:
        """The trader's plan, if they have written one; `for_update` serialises new versions."""
        statement = select(TradingPlanRecord).where(TradingPlanRecord.user_id == self.user_id)
        return self.session.scalar(statement.with_for_update() if for_update else statement)

    def versions(self) -> Sequence[PlanVersionRecord]:
        return self.session.scalars(
            select(PlanVersionRecord)
            .where(PlanVersionRecord.user_id == self.user_id)
            .order_by(PlanVersionRecord.version)
        ).all()

    def version(self, number: int) -> PlanVersionRecord:
        """One version of the trader's plan; NotFoundError when there is no such version."""
        record = self.session.scalar(
            select(PlanVersionRecord).where(
                PlanVersionRecord.user_id == self.user_id, PlanVersionRecord.version == number
            )
        )
        if record is None:
            raise NotFoundError("plan version")
        return record

    def positions(self, days: Collection[dt.date] | None) -> list[PositionFacts]:
        """The positions an evaluation of `days` needs (None: all), with their opening fill
        and the time of their first journal entry.

        Read as plain rows, not ORM objects: a full evaluation loads every position, and
        building mapped objects for them took longer than judging them.
        """
        statement = (
            select(
                *(PositionRecord.__table__.c[name] for name in _POSITION_COLUMNS),
                effective_stop_column(PositionRecord.__table__.c).label("initial_stop"),
                AccountRecord.base_currency,
                *(ExecutionRecord.__table__.c[name] for name in _OPENING_COLUMNS),
                ExecutionRecord.fees.label("opening_fees"),
            )
            .join(AccountRecord, AccountRecord.id == PositionRecord.account_id)
            .join(ExecutionRecord, ExecutionRecord.id == PositionRecord.opening_execution_id)
            .where(PositionRecord.user_id == self.user_id, PositionRecord.opened_day.is_not(None))
        )
        if days is not None:
            look_back = {
                day - dt.timedelta(days=back) for day in days for back in range(LOOK_BACK_DAYS + 1)
            }
            statement = statement.where(
                or_(PositionRecord.opened_day.in_(days), PositionRecord.closed_day.in_(look_back))
            )
        rows = self.session.execute(statement).all()
        journaled = self._first_journal_entries(None if days is None else {row.id for row in rows})
        return [_facts(row, journaled.get(row.id)) for row in rows]

    def _first_journal_entries(
        self, position_ids: Collection[uuid.UUID] | None
    ) -> dict[uuid.UUID | None, dt.datetime]:
        """When each position (of `position_ids`, None: all) was first written about."""
        statement = (
            select(JournalEntryRecord.position_id, func.min(JournalEntryRecord.created_at))
            .where(
                JournalEntryRecord.user_id == self.user_id,
                JournalEntryRecord.position_id.is_not(None),
            )
            .group_by(JournalEntryRecord.position_id)
        )
        if position_ids is None:
            return {row[0]: row[1] for row in self.session.execute(statement)}
        ordered = list(position_ids)
        found: dict[uuid.UUID | None, dt.datetime] = {}
        # In chunks: an import's days can hold more positions than a statement takes ids.
        for start in range(0, len(ordered), _CHUNK):
            chunk = statement.where(
                JournalEntryRecord.position_id.in_(ordered[start : start + _CHUNK])
            )
            found.update((row[0], row[1]) for row in self.session.execute(chunk))
        return found

    def violations_on(
        self, days: Collection[dt.date] | None, kinds: Collection[str] = ()
    ) -> list[Any]:
        """The stored violations on `days` (None: all), and those of `kinds` on any day, as
        rows of `id`, `key` and the columns an evaluation finds (FOUND_COLUMNS), for
        comparing with a new evaluation."""
        table = ViolationRecord.metadata.tables["violations"]
        statement = select(
            table.c.id, table.c.key, *(table.c[name] for name in FOUND_COLUMNS)
        ).where(table.c.user_id == self.user_id)
        if days is not None:
            on_days = table.c.day.in_(days)
            statement = statement.where(
                or_(on_days, table.c.rule_kind.in_(kinds)) if kinds else on_days
            )
        return list(self.session.execute(statement))

    def trades(self) -> list[Trade]:
        """Every position of the trader as the account-history rules see it; fewer columns
        than `positions`, since those rules read all of them on every evaluation."""
        statement = (
            select(
                *(PositionRecord.__table__.c[name] for name in _TRADE_COLUMNS),
                PositionRecord.realised_pnl_net,
                PositionRecord.realised_pnl_net_base,
                PositionRecord.currency,
                AccountRecord.base_currency,
            )
            .join(AccountRecord, AccountRecord.id == PositionRecord.account_id)
            .where(PositionRecord.user_id == self.user_id, PositionRecord.opened_day.is_not(None))
        )
        return [
            Trade(**{name: getattr(row, name) for name in _TRADE_COLUMNS}, **_net(row))
            for row in self.session.execute(statement)
        ]

    def open_changes(self) -> list[OpenChange]:
        """Every fill share of the trader's positions as a change of the position's open
        quantity, with the fill's trading day in its account's zone."""
        statement = (
            select(
                PositionFillRecord.position_id,
                PositionFillRecord.quantity,
                PositionRecord.direction,
                PositionRecord.asset_class,
                ExecutionRecord.executed_at,
                ExecutionRecord.side,
                AccountRecord.time_zone,
            )
            .join(PositionRecord, PositionRecord.id == PositionFillRecord.position_id)
            .join(ExecutionRecord, ExecutionRecord.id == PositionFillRecord.execution_id)
            .join(AccountRecord, AccountRecord.id == PositionRecord.account_id)
            .where(PositionRecord.user_id == self.user_id)
        )
        return [
            OpenChange(
                position_id=row.position_id,
                at=row.executed_at,
                day=trading_day(row.executed_at, row.asset_class, row.time_zone),
                change=row.quantity
                if (row.side == "buy") == (row.direction == "long")
                else -row.quantity,
            )
            for row in self.session.execute(statement)
        ]

    def delete_violations(self, ids: Collection[uuid.UUID]) -> None:
        table = ViolationRecord.metadata.tables["violations"]
        ordered = list(ids)
        # In chunks: a statement's bound parameters are limited (SQLite: 32766).
        for start in range(0, len(ordered), _CHUNK):
            self.session.execute(
                delete(table).where(
                    table.c.user_id == self.user_id,
                    table.c.id.in_(ordered[start : start + _CHUNK]),
                )
            )

    def violation(self, violation_id: uuid.UUID) -> ViolationRecord:
        """The trader's violation; NotFoundError when it is missing or someone else's."""
        record = self.session.scalar(
            select(ViolationRecord).where(
                ViolationRecord.id == violation_id, ViolationRecord.user_id == self.user_id
            )
        )
        if record is None:
            raise NotFoundError("violation")
        return record

    def page(
        self,
        cursor: Cursor | None,
        limit: int,
        position_id: uuid.UUID | None = None,
        rule_id: uuid.UUID | None = None,
        account_id: uuid.UUID | None = None,
    ) -> Sequence[ViolationRecord]:
        """Up to `limit` violations after `cursor`, newest first.

        NotFoundError when `position_id` is not one of the trader's positions. A violation
        is of the account of the position it names (a limit over the trader's whole day
        names the position that crossed it).
        """
        statement = select(ViolationRecord).where(ViolationRecord.user_id == self.user_id)
        if account_id is not None:
            statement = statement.where(of_account(self.user_id, account_id))
        if position_id is not None:
            PositionRepository(self.session, self.user_id).get(position_id)
            statement = statement.where(ViolationRecord.position_id == position_id)
        if rule_id is not None:
            statement = statement.where(ViolationRecord.rule_id == rule_id)
        if cursor is not None:
            statement = statement.where(
                or_(
                    ViolationRecord.detected_at < cursor.at,
                    and_(ViolationRecord.detected_at == cursor.at, ViolationRecord.id < cursor.id),
                )
            )
        statement = statement.order_by(
            ViolationRecord.detected_at.desc(), ViolationRecord.id.desc()
        ).limit(limit)
        return self.session.scalars(statement).all()


def of_account(user_id: uuid.UUID, account_id: uuid.UUID) -> ColumnElement[bool]:
    """Violations naming a position of the account."""
    return ViolationRecord.position_id.in_(
        select(PositionRecord.id).where(
            PositionRecord.user_id == user_id, PositionRecord.account_id == account_id
        )
    )


_POSITION_COLUMNS = (
    "id",
    "account_id",
    "asset_class",
    "symbol",
    "underlying",
    "direction",
    "status",
    "opened_at",
    "closed_at",
    "opened_day",
    "closed_day",
    "max_quantity",
    "avg_entry_price",
    "avg_exit_price",
    "realised_pnl_net",
    "realised_pnl_net_base",
    "currency",
    "fees",
    "outcome",
    "tags",
    "holding_seconds",
    "opening_execution_id",
)
# The opening fill's `fees` is read as `opening_fees`: the position has its own.
_OPENING_COLUMNS = ("multiplier", "side", "quantity", "price", "commission")


_TRADE_COLUMNS = (
    "id",
    "account_id",
    "asset_class",
    "opened_at",
    "closed_at",
    "opened_day",
    "closed_day",
    "outcome",
)


def _net(row: Any) -> dict[str, Any]:
    """The position's net P&L and its currency: the account's base where the fills carry
    a rate, else the instrument's."""
    if row.realised_pnl_net_base is not None:
        return {"pnl": row.realised_pnl_net_base, "currency": row.base_currency}
    return {"pnl": row.realised_pnl_net, "currency": row.currency}


def _facts(row: Any, first_journal_at: dt.datetime | None) -> PositionFacts:
    return PositionFacts(
        id=row.id,
        account_id=row.account_id,
        asset_class=row.asset_class,
        symbol=row.symbol,
        underlying=row.underlying,
        direction=row.direction,
        status=row.status,
        opened_at=row.opened_at,
        closed_at=row.closed_at,
        opened_day=row.opened_day,
        closed_day=row.closed_day,
        max_quantity=row.max_quantity,
        avg_entry_price=row.avg_entry_price,
        avg_exit_price=row.avg_exit_price,
        multiplier=row.multiplier,
        **_net(row),
        fees=row.fees,
        outcome=row.outcome,
        tags=tuple(row.tags),
        initial_stop=row.initial_stop,
        holding_seconds=row.holding_seconds,
        opening_execution_id=row.opening_execution_id,
        opening_side=row.side,
        opening_quantity=row.quantity,
        opening_price=row.price,
        opening_commission=row.commission,
        opening_fees=row.opening_fees,
        first_journal_at=first_journal_at,
        instrument_currency=row.currency,
    )
