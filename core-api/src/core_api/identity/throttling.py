"""Login throttling per account and per client address: temporary lockouts that grow.

An account is keyed by the digest of its email whether or not it is registered, so a
lockout says nothing about which emails exist.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core_api.errors import AppError
from core_api.identity.models import LoginThrottleRecord

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Policy:
    """How many failures are free, and how long lockouts last after that."""

    free_failures: int
    lockout_seconds: int
    max_lockout_seconds: int

    def lockout(self, failures: int) -> dt.timedelta | None:
        """Nothing while failures are free; then the base window, doubling per failure."""
        over = failures - self.free_failures
        if over < 0:
            return None
        seconds = min(self.max_lockout_seconds, self.lockout_seconds * 2 ** min(over, 32))
        return dt.timedelta(seconds=seconds)


@dataclass(frozen=True)
class Subject:
    """One thing failures count against: an account or a client address."""

    key: str
    policy: Policy


class LockedOutError(AppError):
    def __init__(self, retry_after: dt.timedelta) -> None:
        seconds = max(1, math.ceil(retry_after.total_seconds()))
        super().__init__(
            429,
            "Too many attempts",
            "Too many failed log-ins; try again later.",
            headers={"Retry-After": str(seconds)},
        )


def account_key(email: str) -> str:
    # A digest, so the table and the logs never hold the email itself.
    return "account:" + hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


def address_key(address: str) -> str:
    return "ip:" + address


def refuse_if_locked(session: Session, subjects: Sequence[Subject], now: dt.datetime) -> None:
    """Raises LockedOutError, with the longest wait, when any subject is locked out."""
    locked = session.scalars(
        select(LoginThrottleRecord.locked_until).where(
            LoginThrottleRecord.key.in_([subject.key for subject in subjects]),
            LoginThrottleRecord.locked_until > now,
        )
    ).all()
    waits = [until for until in locked if until is not None]
    if waits:
        raise LockedOutError(max(waits) - now)


def record_failure(session: Session, subjects: Sequence[Subject], now: dt.datetime) -> None:
    """Counts one failure against each subject and locks those past their free failures.

    Failures older than the longest lockout are forgotten. Each new lockout is logged with
    the subject's key (an email digest or an address), never the password.
    """
    for subject in subjects:
        record = _locked_row(session, subject.key, now)
        if now - record.last_failure_at > dt.timedelta(seconds=subject.policy.max_lockout_seconds):
            record.failures = 0
        record.failures += 1
        record.last_failure_at = now
        lockout = subject.policy.lockout(record.failures)
        if lockout is not None:
            record.locked_until = now + lockout
            logger.warning(
                "log-in locked for %d s after %d failures: %s",
                lockout.total_seconds(),
                record.failures,
                subject.key,
            )
    session.flush()


def forget_failures(session: Session, subject: Subject) -> None:
    """A successful log-in clears its account's failures."""
    record = session.get(LoginThrottleRecord, subject.key)
    if record is not None:
        session.delete(record)
        session.flush()


def _locked_row(session: Session, key: str, now: dt.datetime) -> LoginThrottleRecord:
    # Insert-if-missing, then lock the row, so concurrent failures all count.
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert(LoginThrottleRecord)
        .values(key=key, failures=0, last_failure_at=now, locked_until=None)
        .on_conflict_do_nothing(index_elements=["key"])
    )
    record = session.scalars(
        select(LoginThrottleRecord)
        .where(LoginThrottleRecord.key == key)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    return record
