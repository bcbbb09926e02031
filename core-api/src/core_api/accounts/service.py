"""Creating and describing accounts."""

from __future__ import annotations

import functools
import uuid
from zoneinfo import available_timezones

from sqlalchemy.orm import Session
from tradeloop_contracts import Account, AccountCreate, AccountUpdate

from core_api.accounts.models import AccountRecord
from core_api.accounts.repository import AccountRepository
from core_api.errors import AppError, FieldError

# Contracts 1.5.0 carry an account's default stop for R; core does not apply one yet, and
# a setting it would silently ignore is refused instead.
_NO_DEFAULT_STOP = FieldError(
    "body.default_stop", "is not offered yet: R reads only the stops set on positions"
)


def create_account(session: Session, user_id: uuid.UUID, body: AccountCreate) -> AccountRecord:
    """The new account; a 422 problem for an unknown time zone or a negative breakeven band."""
    problems = []
    if not is_time_zone(body.time_zone):
        problems.append(FieldError("body.time_zone", "not an IANA time zone"))
    if body.breakeven_band < 0:
        problems.append(FieldError("body.breakeven_band", "must not be negative"))
    if body.default_stop is not None:
        problems.append(_NO_DEFAULT_STOP)
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
            starting_balance=body.starting_balance,
            risk_unit=body.risk_unit,
        )
    )


def update_account(
    session: Session, user_id: uuid.UUID, account_id: uuid.UUID, body: AccountUpdate
) -> tuple[AccountRecord, bool]:
    """The changed account, and whether its starting balance or risk unit changed (what
    limits in % and R read). NotFoundError for another trader's account. A 422 problem
    for an empty name, and for the time zone, matching method and breakeven band: each
    would change the account's positions, which a rematch of the whole account would
    have to follow, and that is not offered yet. A starting balance or risk unit sent as
    null is cleared.
    """
    sent = body.model_fields_set
    problems = [
        FieldError(f"body.{name}", "cannot be changed once the account exists")
        for name in ("time_zone", "matching_method", "breakeven_band")
        if name in sent
    ]
    if "name" in sent and body.name is None:
        problems.append(FieldError("body.name", "cannot be emptied"))
    if body.default_stop is not None:
        problems.append(_NO_DEFAULT_STOP)
    if problems:
        raise AppError(422, "Invalid request", errors=problems)
    account = AccountRepository(session, user_id).get(account_id, for_update=True)
    before = (account.starting_balance, account.risk_unit)
    for name in sent:
        setattr(account, name, getattr(body, name))
    session.flush()
    return account, (account.starting_balance, account.risk_unit) != before


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
        starting_balance=record.starting_balance,
        risk_unit=record.risk_unit,
        created_at=record.created_at,
    )
