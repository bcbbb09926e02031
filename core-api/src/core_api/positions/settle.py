"""Settling stored fills: positions, daily statistics and the plan's verdicts brought in line.

Fills are stored first and settled after: by each batch that does not belong to a running
import (a broker sync, the demo), once per import when its outcome is reported, and when an
account's contract specs change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from sqlalchemy import Executable
from sqlalchemy.orm import Session

from core_api.accounts.models import AccountRecord
from core_api.plans.service import affected_days, evaluate_after_change, has_plan
from core_api.positions.models import PositionRecord
from core_api.positions.service import InstrumentKey, rematch


def settle_instruments(
    session: Session,
    account: AccountRecord,
    keys: Iterable[InstrumentKey],
    traceparent: str | None,
    since: Mapping[InstrumentKey, dt.datetime] | None = None,
    removing: Executable | None = None,
) -> None:
    """Rematches the account's instruments (from `since`, see `rematch`; after deleting
    the fills `removing` deletes) and re-judges the trader's plan on every day whose
    verdicts the rematch can change.

    Writes `position.closed.v1` for each newly closed position and `rule.violated.v1` for
    each new violation; a failing plan evaluation is logged and never raised.
    """
    keys = sorted(set(keys))
    if not has_plan(session, account.user_id):
        rematch(session, account, keys, traceparent, since=since, removing=removing)
        return
    # The days the changed positions lay on, before and after the rematch.
    days = affected_days(session, account.id, keys, since)
    rematch(session, account, keys, traceparent, since=since, removing=removing)
    days |= affected_days(session, account.id, keys, since)
    evaluate_after_change(session, account.user_id, days, traceparent)


def judge_position_days(session: Session, record: PositionRecord, traceparent: str | None) -> None:
    """Re-judges the trader's plan on the days a position opened and closed on, after the
    trader moved its stop: risk per trade and rules reading the stop, risk or R see it there.
    """
    if not has_plan(session, record.user_id):
        return
    days = {day for day in (record.opened_day, record.closed_day) if day is not None}
    evaluate_after_change(session, record.user_id, days, traceparent)
