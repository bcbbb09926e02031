"""Default stop rules: the stop R assumes for a position the trader set no stop on.

A position's effective initial stop is the trader's (`initial_stop`) when there is one;
else the one its playbook's default stop rule gives, if the playbook has a rule; else the
one its account's rule gives (`rule_stop`, kept on the position and recomputed whenever
what it reads changes). A rule places the stop at a distance from the average entry
against the direction: `points` in price units, `percent` of the entry price, `ticks`
times the instrument's tick size (the fills' contract spec, as P&L uses). A `ticks` rule
gives no stop for an instrument without a tick size, and no rule gives a long a stop
below zero.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session
from tradeloop_contracts import DefaultStop

from core_api.accounts.models import AccountRecord
from core_api.errors import FieldError
from core_api.kit.bulk import update_rows
from core_api.kit.clock import utcnow
from core_api.playbooks.models import PlaybookRecord, PositionPlaybookRecord
from core_api.positions.models import PositionRecord
from core_api.positions.repository import expire_held
from core_api.statistics.read_model import refresh_daily_pnl

_POSITIONS = PositionRecord.metadata.tables["positions"]


@dataclass(frozen=True)
class StopRule:
    """Where a default stop goes: `distance` points, percent or ticks from the entry."""

    kind: str
    distance: Decimal


def rule_of(kind: str | None, distance: Decimal | None) -> StopRule | None:
    """The rule stored as these two columns; None when there is none."""
    if kind is None or distance is None:
        return None
    return StopRule(kind, distance)


def stored_rule(record: AccountRecord | PlaybookRecord) -> StopRule | None:
    """The default stop rule an account or a playbook holds; None when it has none."""
    return rule_of(record.default_stop_kind, record.default_stop_distance)


def set_rule(record: AccountRecord | PlaybookRecord, stop: DefaultStop | None) -> bool:
    """Stores `stop` as the record's default stop rule (None clears it); whether the rule
    changed, so that the stops of its positions need recomputing (`reapply_rules`)."""
    before = stored_rule(record)
    for name, value in stop_columns(stop).items():
        setattr(record, name, value)
    return stored_rule(record) != before


def rule_in_effect(playbook: StopRule | None, account: StopRule | None) -> StopRule | None:
    """The rule a position's default stop comes from: its playbook's, else its account's."""
    return playbook if playbook is not None else account


def to_default_stop(rule: StopRule | None) -> DefaultStop | None:
    return None if rule is None else DefaultStop.model_validate(vars(rule))


def rule_problems(stop: DefaultStop | None, distance_at: str) -> list[FieldError]:
    """What makes `stop` unusable, named at `distance_at`: a percent of 100 or more would
    put a long's stop at or below zero."""
    if stop is not None and stop.kind == "percent" and stop.distance >= 100:
        return [FieldError(distance_at, "a percent must be below 100")]
    return []


def stop_columns(stop: DefaultStop | None) -> dict[str, Any]:
    """The columns of an account or playbook that store `stop` (None clears them)."""
    return {
        "default_stop_kind": stop.kind if stop else None,
        "default_stop_distance": stop.distance if stop else None,
    }


def rule_stop(
    rule: StopRule | None, direction: str, entry: Decimal, instrument: Mapping[str, Any]
) -> Decimal | None:
    """The stop `rule` gives a position entered at `entry` (its average entry price) of the
    stored `instrument`; None without a rule, for `ticks` without a tick size, and for a
    long whose stop would fall below zero."""
    if rule is None:
        return None
    if rule.kind == "points":
        offset = rule.distance
    elif rule.kind == "percent":
        offset = abs(entry) * rule.distance / 100
    else:
        tick_size = instrument.get("tick_size")
        if tick_size is None or Decimal(str(tick_size)) <= 0:
            return None
        offset = rule.distance * Decimal(str(tick_size))
    stop = entry - offset if direction == "long" else entry + offset
    return stop if stop >= 0 else None


def effective_stop(record: PositionRecord) -> Decimal | None:
    """The initial stop R reads: the trader's, else the default rule's."""
    return record.initial_stop if record.initial_stop is not None else record.rule_stop


def stop_source(record: PositionRecord) -> str | None:
    """Who set the effective stop: `trader`, `default_rule`, or None without one."""
    if record.initial_stop is not None:
        return "trader"
    return "default_rule" if record.rule_stop is not None else None


def reapply_rules(session: Session, user_id: uuid.UUID, which: ColumnElement[bool]) -> bool:
    """Recomputes the rule's stop of the trader's positions `which` selects, after a rule
    or the playbook of a position changed, and the daily R sums of the closed ones whose
    effective stop moved. Whether any effective stop moved (the plan may judge again).
    """
    session.flush()
    now = utcnow()
    changes: list[dict[str, Any]] = []
    days: dict[uuid.UUID, dict[tuple[str, str], set[dt.date]]] = {}
    moved = False
    for row in session.execute(
        select(
            _POSITIONS.c.id,
            _POSITIONS.c.account_id,
            _POSITIONS.c.asset_class,
            _POSITIONS.c.symbol,
            _POSITIONS.c.direction,
            _POSITIONS.c.avg_entry_price,
            _POSITIONS.c.instrument,
            _POSITIONS.c.initial_stop,
            _POSITIONS.c.rule_stop,
            _POSITIONS.c.closed_day,
            AccountRecord.default_stop_kind,
            AccountRecord.default_stop_distance,
            PlaybookRecord.default_stop_kind.label("playbook_kind"),
            PlaybookRecord.default_stop_distance.label("playbook_distance"),
        )
        .join(AccountRecord, AccountRecord.id == _POSITIONS.c.account_id)
        .outerjoin(PositionPlaybookRecord, PositionPlaybookRecord.position_id == _POSITIONS.c.id)
        .outerjoin(PlaybookRecord, PlaybookRecord.id == PositionPlaybookRecord.playbook_id)
        .where(_POSITIONS.c.user_id == user_id, which)
    ):
        rule = rule_in_effect(
            rule_of(row.playbook_kind, row.playbook_distance),
            rule_of(row.default_stop_kind, row.default_stop_distance),
        )
        stop = rule_stop(rule, row.direction, row.avg_entry_price, row.instrument)
        if stop == row.rule_stop:
            continue
        changes.append({"id": row.id, "rule_stop": stop, "updated_at": now})
        if row.initial_stop is None:
            moved = True
            if row.closed_day is not None:
                instruments = days.setdefault(row.account_id, {})
                instruments.setdefault((row.asset_class, row.symbol), set()).add(row.closed_day)
    update_rows(session, _POSITIONS, changes)
    expire_held(session, {change["id"] for change in changes})
    for account_id, instruments in days.items():
        refresh_daily_pnl(session, user_id, account_id, instruments)
    return moved
