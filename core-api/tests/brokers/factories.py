"""Traders, accounts and connections written straight to the database (no password hashing)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from pydantic import SecretStr
from sqlalchemy.orm import Session
from tradeloop_contracts import BrokerConnectionCreate
from tradeloop_contracts.sealing import KeyRing

from core_api.accounts.models import AccountRecord
from core_api.brokers.models import BrokerConnectionRecord
from core_api.brokers.service import create_connection
from core_api.identity.models import UserRecord


def stored_account(session: Session) -> AccountRecord:
    """A new trader with one account."""
    user = UserRecord(
        email=f"{uuid.uuid4().hex[:12]}@example.com",
        password_hash="not-a-hash",
        time_zone="UTC",
        base_currency="USD",
    )
    session.add(user)
    session.flush()
    account = AccountRecord(
        user_id=user.id,
        name="Main",
        broker="alpaca",
        account_number_masked=None,
        base_currency="USD",
        time_zone="UTC",
        matching_method="fifo",
        breakeven_band=Decimal("0"),
    )
    session.add(account)
    session.flush()
    return account


def stored_connection(
    session: Session, ring: KeyRing, key_id: str = "KEY", secret: str = "SECRET"
) -> BrokerConnectionRecord:
    """A connection of a new trader, its key pair sealed with `ring`'s primary key."""
    account = stored_account(session)
    body = BrokerConnectionCreate(
        broker="alpaca",
        label="Alpaca",
        account_id=account.id,
        api_key_id=SecretStr(key_id),
        api_secret=SecretStr(secret),
    )
    return create_connection(session, ring, account.user_id, body, None)
