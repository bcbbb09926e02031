"""An account's balance over time: its starting balance, cash movements and realised P&L.

The balance at a moment is the starting balance, plus the deposits less the withdrawals
that occurred up to it, plus the net P&L in base currency of the positions closed up to
it. A position whose fills carry no rate to the base currency has no base-currency P&L
and is left out (its P&L is in another currency). The balance endpoint and the plan's
percent-of-account limits read the same `Ledger`, so they never disagree.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session
from tradeloop_contracts import (
    AccountBalance,
    CashMovement,
    CashMovementCreate,
)

from core_api.accounts.models import AccountRecord, CashMovementRecord
from core_api.accounts.repository import AccountRepository
from core_api.errors import AppError, FieldError, NotFoundError
from core_api.positions.models import PositionRecord


@dataclass(frozen=True)
class Running:
    """Amounts booked at moments, summed: `totals[i]` is the sum up to `times[i]`."""

    times: tuple[dt.datetime, ...] = ()
    totals: tuple[Decimal, ...] = ()

    @classmethod
    def of(cls, entries: Collection[tuple[dt.datetime, Decimal]]) -> Running:
        ordered = sorted(entries, key=lambda entry: entry[0])
        return cls(
            times=tuple(moment for moment, _ in ordered),
            totals=tuple(itertools.accumulate(amount for _, amount in ordered)),
        )

    def upto(self, moment: dt.datetime, *, inclusive: bool) -> Decimal:
        """The sum of the amounts booked before `moment` (and at it when `inclusive`)."""
        find = bisect.bisect_right if inclusive else bisect.bisect_left
        index = find(self.times, moment)
        return self.totals[index - 1] if index else Decimal(0)


@dataclass(frozen=True)
class Ledger:
    """What limits in percent of account and in R read of one account."""

    account_id: uuid.UUID
    currency: str
    starting_balance: Decimal | None
    risk_unit: Decimal | None
    cash: Running = Running()
    pnl: Running = Running()

    def balance(self, moment: dt.datetime, *, inclusive: bool = True) -> Decimal | None:
        """The balance at `moment` (just before it unless `inclusive`); None without a
        starting balance."""
        if self.starting_balance is None:
            return None
        return (
            self.starting_balance
            + self.cash.upto(moment, inclusive=inclusive)
            + self.pnl.upto(moment, inclusive=inclusive)
        )


def ledgers(
    session: Session,
    user_id: uuid.UUID,
    account_ids: Collection[uuid.UUID] | None = None,
    *,
    history: bool = True,
) -> dict[uuid.UUID, Ledger]:
    """The ledgers of the trader's accounts (of `account_ids`, None: all). Without
    `history` only the starting balance and risk unit are read (enough for limits in R)."""
    statement = select(AccountRecord).where(AccountRecord.user_id == user_id)
    if account_ids is not None:
        statement = statement.where(AccountRecord.id.in_(account_ids))
    accounts = session.scalars(statement).all()
    cash: dict[uuid.UUID, list[tuple[dt.datetime, Decimal]]] = {a.id: [] for a in accounts}
    pnl: dict[uuid.UUID, list[tuple[dt.datetime, Decimal]]] = {a.id: [] for a in accounts}
    if history and accounts:
        ids = list(cash)
        for movement in session.execute(
            select(
                CashMovementRecord.account_id,
                CashMovementRecord.occurred_at,
                CashMovementRecord.amount,
            ).where(CashMovementRecord.account_id.in_(ids))
        ):
            cash[movement.account_id].append((movement.occurred_at, movement.amount))
        for row in session.execute(
            select(
                PositionRecord.account_id,
                PositionRecord.closed_at,
                PositionRecord.realised_pnl_net_base,
            ).where(
                PositionRecord.user_id == user_id,
                PositionRecord.account_id.in_(ids),
                PositionRecord.closed_at.is_not(None),
                PositionRecord.realised_pnl_net_base.is_not(None),
            )
        ):
            pnl[row.account_id].append((row.closed_at, row.realised_pnl_net_base))
    return {
        account.id: Ledger(
            account_id=account.id,
            currency=account.base_currency,
            starting_balance=account.starting_balance,
            risk_unit=account.risk_unit,
            cash=Running.of(cash[account.id]),
            pnl=Running.of(pnl[account.id]),
        )
        for account in accounts
    }


def balance_at(
    session: Session, user_id: uuid.UUID, account_id: uuid.UUID, at: dt.datetime
) -> AccountBalance:
    """The account's balance at `at`. NotFoundError for another trader's account; a 409
    problem when the account records no starting balance."""
    AccountRepository(session, user_id).get(account_id)
    ledger = ledgers(session, user_id, [account_id])[account_id]
    balance = ledger.balance(at)
    if ledger.starting_balance is None or balance is None:
        raise AppError(
            409,
            "No starting balance",
            "The account records no starting balance; set one to see its balance.",
        )
    return AccountBalance(
        account_id=account_id,
        currency=ledger.currency,
        as_of=at,
        starting_balance=ledger.starting_balance,
        cash_movements=ledger.cash.upto(at, inclusive=True),
        realised_pnl_net=ledger.pnl.upto(at, inclusive=True),
        balance=balance,
    )


def add_movement(
    session: Session, account: AccountRecord, body: CashMovementCreate
) -> CashMovementRecord:
    """The stored movement; a 422 problem naming `body.amount` when it is zero."""
    if body.amount == 0:
        raise AppError(
            422,
            "Invalid request",
            errors=[FieldError("body.amount", "must not be zero: positive adds, negative takes")],
        )
    record = CashMovementRecord(
        account_id=account.id, occurred_at=body.occurred_at, amount=body.amount, note=body.note
    )
    session.add(record)
    session.flush()
    return record


def list_movements(session: Session, account: AccountRecord) -> Sequence[CashMovementRecord]:
    """The account's movements, newest first."""
    return session.scalars(
        select(CashMovementRecord)
        .where(CashMovementRecord.account_id == account.id)
        .order_by(CashMovementRecord.occurred_at.desc(), CashMovementRecord.id.desc())
    ).all()


def delete_movement(session: Session, account: AccountRecord, movement_id: uuid.UUID) -> None:
    """Removes the movement; NotFoundError when it is not one of this account's."""
    record = session.scalar(
        select(CashMovementRecord).where(
            CashMovementRecord.id == movement_id, CashMovementRecord.account_id == account.id
        )
    )
    if record is None:
        raise NotFoundError("cash movement")
    session.delete(record)
    session.flush()


def to_movement(record: CashMovementRecord, currency: str) -> CashMovement:
    return CashMovement(
        id=record.id,
        account_id=record.account_id,
        occurred_at=record.occurred_at,
        amount=record.amount,
        currency=currency,
        note=record.note,
        created_at=record.created_at,
    )
