"""Creating and describing accounts."""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from zoneinfo import available_timezones

from sqlalchemy.orm import Session
from tradeloop_contracts import Account, AccountCreate, AccountUpdate

from core_api.accounts.models import AccountRecord
from core_api.accounts.repository import AccountRepository
from core_api.errors import AppError, FieldError
from core_api.positions.models import PositionRecord
from core_api.positions.stops import (
    reapply_rules,
    rule_problems,
    set_rule,
    stop_columns,
    stored_rule,
    to_default_stop,
)


def create_account(session: Session, user_id: uuid.UUID, body: AccountCreate) -> AccountRecord:
    """The new account; a 422 problem for an unknown time zone, a negative breakeven band
    or a default stop of 100 percent or more."""
    problems = []
    if not is_time_zone(body.time_zone):
        problems.append(FieldError("body.time_zone", "not an IANA time zone"))
    if body.breakeven_band < 0:
        problems.append(FieldError("body.breakeven_band", "must not be negative"))
    problems += rule_problems(body.default_stop, "body.default_stop.distance")
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
            **stop_columns(body.default_stop),
        )
    )


@dataclass(frozen=True)
class AccountChange:
    """What an update changed that the trading plan may read."""

    # The starting balance or risk unit: what limits in % and R read.
    limits_moved: bool
    # The effective stop of some position, through the default stop rule.
    stops_moved: bool


def update_account(
    session: Session, user_id: uuid.UUID, account_id: uuid.UUID, body: AccountUpdate
) -> tuple[AccountRecord, AccountChange]:
    """The changed account, and what changed of what the plan reads. NotFoundError for
    another trader's account. A 422 problem for an empty name, a default stop of 100
    percent or more, and for the time zone, matching method and breakeven band: each
    would change the account's positions, which a rematch of the whole account would
    have to follow, and that is not offered yet. A starting balance, risk unit or
    default stop sent as null is cleared; a new default stop is applied to the account's
    positions at once (their stops, R and daily R sums).
    """
    sent = body.model_fields_set
    problems = [
        FieldError(f"body.{name}", "cannot be changed once the account exists")
        for name in ("time_zone", "matching_method", "breakeven_band")
        if name in sent
    ]
    if "name" in sent and body.name is None:
        problems.append(FieldError("body.name", "cannot be emptied"))
    problems += rule_problems(body.default_stop, "body.default_stop.distance")
    if problems:
        raise AppError(422, "Invalid request", errors=problems)
    account = AccountRepository(session, user_id).get(account_id, for_update=True)
    before = (account.starting_balance, account.risk_unit)
    for name in sent - {"default_stop"}:
        setattr(account, name, getattr(body, name))
    stops_moved = False
    if "default_stop" in sent and set_rule(account, body.default_stop):
        stops_moved = reapply_rules(session, user_id, PositionRecord.account_id == account.id)
    session.flush()
    limits_moved = (account.starting_balance, account.risk_unit) != before
    return account, AccountChange(limits_moved, stops_moved)


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
        default_stop=to_default_stop(stored_rule(record)),
        created_at=record.created_at,
    )
