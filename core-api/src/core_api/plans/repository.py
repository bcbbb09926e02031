"""Every plan and violation query, scoped to one trader."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.orm import Session

from core_api.accounts.models import AccountRecord
from core_api.errors import NotFoundError
from core_api.executions.models import ExecutionRecord
from core_api.journal.models import JournalEntryRecord
from core_api.kit.pagination import Cursor
from core_api.plans.engine import PositionFacts
from core_api.plans.models import PlanVersionRecord, TradingPlanRecord, ViolationRecord
from core_api.positions.models import PositionRecord

# A cooldown looks back up to a day; futures sessions shift the trading day by one more.
LOOK_BACK_DAYS = 2


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
        and the time of their first journal entry."""
        journal = (
            select(
                JournalEntryRecord.position_id.label("position_id"),
                func.min(JournalEntryRecord.created_at).label("first_at"),
            )
            .where(
                JournalEntryRecord.user_id == self.user_id,
                JournalEntryRecord.position_id.is_not(None),
            )
            .group_by(JournalEntryRecord.position_id)
            .subquery()
        )
        statement = (
            select(PositionRecord, AccountRecord.base_currency, ExecutionRecord, journal.c.first_at)
            .join(AccountRecord, AccountRecord.id == PositionRecord.account_id)
            .join(ExecutionRecord, ExecutionRecord.id == PositionRecord.opening_execution_id)
            .outerjoin(journal, journal.c.position_id == PositionRecord.id)
            .where(PositionRecord.user_id == self.user_id, PositionRecord.opened_day.is_not(None))
        )
        if days is not None:
            look_back = {
                day - dt.timedelta(days=back) for day in days for back in range(LOOK_BACK_DAYS + 1)
            }
            statement = statement.where(
                or_(PositionRecord.opened_day.in_(days), PositionRecord.closed_day.in_(look_back))
            )
        return [
            _facts(position, base_currency, opening, first_at)
            for position, base_currency, opening, first_at in self.session.execute(statement)
        ]

    def violations_on(self, days: Collection[dt.date] | None) -> Sequence[ViolationRecord]:
        statement = select(ViolationRecord).where(ViolationRecord.user_id == self.user_id)
        if days is not None:
            statement = statement.where(ViolationRecord.day.in_(days))
        return self.session.scalars(statement).all()

    def delete_violations(self, ids: Collection[uuid.UUID]) -> None:
        if ids:
            self.session.execute(
                delete(ViolationRecord).where(
                    ViolationRecord.user_id == self.user_id, ViolationRecord.id.in_(ids)
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
    ) -> Sequence[ViolationRecord]:
        """Up to `limit` violations after `cursor`, newest first."""
        statement = select(ViolationRecord).where(ViolationRecord.user_id == self.user_id)
        if position_id is not None:
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


def _facts(
    position: PositionRecord,
    base_currency: str,
    opening: ExecutionRecord,
    first_journal_at: dt.datetime | None,
) -> PositionFacts:
    assert position.opened_day is not None
    in_base = position.realised_pnl_net_base is not None
    return PositionFacts(
        id=position.id,
        account_id=position.account_id,
        asset_class=position.asset_class,
        symbol=position.symbol,
        underlying=position.underlying,
        direction=position.direction,
        status=position.status,
        opened_at=position.opened_at,
        closed_at=position.closed_at,
        opened_day=position.opened_day,
        closed_day=position.closed_day,
        max_quantity=position.max_quantity,
        avg_entry_price=position.avg_entry_price,
        avg_exit_price=position.avg_exit_price,
        multiplier=opening.multiplier,
        pnl=position.realised_pnl_net_base if in_base else position.realised_pnl_net,  # type: ignore[arg-type]
        currency=base_currency if in_base else position.currency,
        fees=position.fees,
        outcome=position.outcome,
        tags=tuple(position.tags),
        initial_stop=position.initial_stop,
        holding_seconds=position.holding_seconds,
        opening_execution_id=opening.id,
        opening_side=opening.side,
        opening_quantity=opening.quantity,
        opening_price=opening.price,
        opening_commission=opening.commission,
        opening_fees=opening.fees,
        first_journal_at=first_journal_at,
    )
