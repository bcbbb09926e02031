"""Creating and describing accounts."""

from __future__ import annotations

import functools
import uuid
from zoneinfo import available_timezones

from sqlalchemy.orm import Session
from tradeloop_contracts import Account, AccountCreate

from core_api.accounts.models import AccountRecord
from core_api.accounts.repository import AccountRepository
from core_api.errors import AppError, FieldError


def create_account(session: Session, user_id: uuid.UUID, body: AccountCreate) -> AccountRecord:
    """The new account; a 422 problem for an unknown time zone or a negative breakeven band."""
    problems = []
    if not is_time_zone(body.time_zone):
        problems.append(FieldError("body.time_zone", "not an IANA time zone"))
    if body.breakeven_band < 0:
        problems.append(FieldError("body.breakeven_band", "must not be negative"))
    if problems:
        raise AppError(422, "Invalid request", errors=problems)
    return AccountRepository(session, user_id).add(
        AccountRecord(
            name=body.name,
            broker=body.broker,
            account_number_masked=mask(body.account_number),
            base_currency=body.base_currency,
            time_zone=body.time_zone,
            matching_method=body.matching_method,
            breakeven_band=body.breakeven_band,
        )
    )


def mask(account_number: str | None) -> str | None:
    """Only the last four characters are kept; the full number is never stored."""
    if not account_number:
        return None
    return "****" + account_number[-4:]


def is_time_zone(name: str) -> bool:
    """Whether `name` is an IANA zone such as `America/New_York` (not a file like `localtime`)."""
    return name in _known_zones()


@functools.cache
def _known_zones() -> frozenset[str]:
    # Some systems list files of the zone database that are not zones of their own.
    return frozenset(available_timezones()) - {"localtime", "posixrules", "Factory"}


def to_account(record: AccountRecord) -> Account:
    return Account(
        id=record.id,
        name=record.name,
        broker=record.broker,
        account_number_masked=record.account_number_masked,
        base_currency=record.base_currency,
        time_zone=record.time_zone,
        matching_method=record.matching_method,
        breakeven_band=record.breakeven_band,
        created_at=record.created_at,
    )
