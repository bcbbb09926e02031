"""Every account query, scoped to one trader."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core_api.accounts.models import AccountRecord
from core_api.errors import NotFoundError


@dataclass(frozen=True)
class AccountRepository:
    session: Session
    user_id: uuid.UUID

    def list(self) -> Sequence[AccountRecord]:
        return self.session.scalars(
            select(AccountRecord)
            .where(AccountRecord.user_id == self.user_id)
            .order_by(AccountRecord.created_at, AccountRecord.id)
        ).all()

    def get(self, account_id: uuid.UUID, *, for_update: bool = False) -> AccountRecord:
        """The trader's account; NotFoundError when it is missing or someone else's.

        `for_update` holds the row until the transaction ends (PostgreSQL; SQLite's
        write lock already serialises writers), so writers of one account take turns.
        """
        statement = select(AccountRecord).where(
            AccountRecord.id == account_id, AccountRecord.user_id == self.user_id
        )
        account = self.session.scalar(statement.with_for_update() if for_update else statement)
        if account is None:
            raise NotFoundError("account")
        return account

    def add(self, account: AccountRecord) -> AccountRecord:
        account.user_id = self.user_id
        self.session.add(account)
        self.session.flush()
        return account
