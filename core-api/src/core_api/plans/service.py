"""Writing plan versions, evaluating them against positions, previews, and violations."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session
from tradeloop_contracts import (
    Cost,
    CustomRule,
    CustomRuleCheck,
    MaxDailyLoss,
    MaxPositionSize,
    MaxRiskPerTrade,
    PlanPreview,
    PlanUpdated,
    PlanVersion,
    PlanVersionList,
    Rule,
    RulePreview,
    RuleViolatedV2,
    TradingPlan,
    TradingPlanUpdate,
    TradingWindow,
    Violation,
)

from core_api.accounts.balances import Ledger, ledgers
from core_api.errors import AppError, FieldError
from core_api.identity.models import UserRecord
from core_api.kit.bulk import insert_rows
from core_api.kit.clock import utcnow
from core_api.kit.lookup import BEGINNING, KEYS_PER_STATEMENT, instrument_times, of_instruments
from core_api.outbox.service import record_event, record_events
from core_api.plans import propfirm
from core_api.plans.custom_rules import CustomRuleError, compile_rule
from core_api.plans.engine import (
    Evaluation,
    Finding,
    VersionRules,
    compiled,
    evaluate,
    rule_of,
)
from core_api.plans.models import PlanVersionRecord, TradingPlanRecord, ViolationRecord
from core_api.plans.propfirm import ACCOUNT_KINDS, holds_account_rules, needs_open_changes
from core_api.plans.repository import FOUND_COLUMNS, LOOK_BACK_DAYS, PlanRepository
from core_api.plans.windows import window_problems
from core_api.positions.models import PositionRecord

logger = logging.getLogger(__name__)
# How a loss or risk limit may be written: in currency, in percent of account, in R.
_LIMIT_FIELDS = ("amount", "percent_of_account", "r_multiple")
# The custom rules' position fields that read the stop.
_STOP_FIELDS = frozenset({"has_stop", "risk", "r_multiple"})


def save_plan(
    session: Session, user_id: uuid.UUID, body: TradingPlanUpdate, traceparent: str | None
) -> tuple[TradingPlanRecord, PlanVersionRecord]:
    """The plan and its new version, in force from now, its past trades left to judge.

    A rule keeps its id across versions while it keeps its name. The plan's `evaluation`
    is "pending" until `plans.judging` has judged every day by it (after the response).
    Writes `plan.updated.v1`. A 422 problem names every rule that cannot be used
    (impossible windows, a limit given in none or several units, custom expressions that
    do not compile).
    """
    check_rules(body)
    repository = PlanRepository(session, user_id)
    plan = repository.plan(for_update=True)
    versions = repository.versions()
    if plan is None:
        plan = TradingPlanRecord(id=uuid.uuid4(), user_id=user_id, current_version=0)
        session.add(plan)
        session.flush()
    previous = versions[-1] if versions else None
    ids_by_name = {str(rule["name"]): rule["id"] for rule in previous.rules} if previous else {}
    now = utcnow()
    # Versions are ordered by when they came into force, even if the clock steps back.
    if previous is not None and now <= previous.effective_from:
        now = previous.effective_from + dt.timedelta(microseconds=1)
    plan.current_version += 1
    mark_pending(plan)
    record = PlanVersionRecord(
        plan_id=plan.id,
        user_id=user_id,
        version=plan.current_version,
        effective_from=now,
        rules=[
            {
                "id": ids_by_name.get(rule.name, str(uuid.uuid4())),
                "name": rule.name,
                "enabled": rule.enabled,
                "params": rule.params.model_dump(mode="json"),
            }
            for rule in body.rules
        ],
        faults={},
    )
    session.add(record)
    session.flush()
    record_event(
        session,
        "plan.updated.v1",
        PlanUpdated(user_id=user_id, plan_id=plan.id, version=record.version),
        traceparent,
    )
    return plan, record


def mark_pending(plan: TradingPlanRecord) -> None:
    """The plan's past trades are to be judged again; a judging already running for an
    earlier round will not store its result."""
    plan.evaluation = "pending"
    plan.judging_round += 1


def holds_account_limits(versions: Iterable[VersionRules]) -> bool:
    """Whether some rule reads an account's balance or risk unit (a limit in % or R)."""
    return any(
        isinstance(rule.params, MaxDailyLoss | MaxRiskPerTrade) and rule.params.amount is None
        for version in versions
        for rule in version.rules
    )


def reads_stops(versions: Iterable[VersionRules]) -> bool:
    """Whether some rule reads positions' stops: risk per trade, or a custom rule reading
    the position's stop, risk or R (or the whole position)."""
    for version in versions:
        for rule in version.rules:
            if isinstance(rule.params, MaxRiskPerTrade):
                return True
            if isinstance(rule.params, CustomRule):
                try:
                    fields = compiled(rule.params.expression).fields.get("position", frozenset())
                except CustomRuleError:
                    return True  # judged again, it is marked as failing as before
                if fields is None or fields & _STOP_FIELDS:
                    return True
    return False


def account_ledgers(
    session: Session, user_id: uuid.UUID, versions: Sequence[VersionRules]
) -> dict[uuid.UUID, Ledger]:
    """The accounts' ledgers the versions' limits read: none without a limit in % or R,
    the balance history only with a limit in %."""
    if not holds_account_limits(versions):
        return {}
    percent = any(
        isinstance(rule.params, MaxDailyLoss | MaxRiskPerTrade)
        and rule.params.percent_of_account is not None
        for version in versions
        for rule in version.rules
    )
    return ledgers(session, user_id, history=percent)


def check_rules(body: TradingPlanUpdate) -> None:
    """Raises a 422 problem naming each rule field that cannot be evaluated."""
    errors: list[FieldError] = []
    # The first expression that does not compile is also described as a CustomRuleCheck.
    check: CustomRuleCheck | None = None
    names: set[str] = set()
    for index, rule in enumerate(body.rules):
        where = f"body.rules.{index}"
        if rule.name in names:
            errors.append(FieldError(f"{where}.name", "is used by another rule of the plan"))
        names.add(rule.name)
        params = rule.params
        if isinstance(params, MaxDailyLoss | MaxRiskPerTrade):
            given = [name for name in _LIMIT_FIELDS if getattr(params, name) is not None]
            if len(given) != 1:
                errors.append(
                    FieldError(
                        f"{where}.params.{given[1] if given else 'amount'}",
                        "give exactly one of amount, percent_of_account and r_multiple",
                    )
                )
        elif isinstance(params, TradingWindow):
            errors += (
                FieldError(f"{where}.params.{field}", message)
                for field, message in window_problems(params)
            )
        elif isinstance(params, CustomRule):
            try:
                compile_rule(params.expression)
            except CustomRuleError as error:
                errors.append(FieldError(f"{where}.params.expression", str(error)))
                check = check or CustomRuleCheck(
                    title="Invalid plan",
                    status=422,
                    rule_index=index,
                    expression=params.expression,
                    line=error.line,
                    column=error.column,
                )
        elif isinstance(params, MaxPositionSize) and params.quantity is params.notional is None:
            errors.append(FieldError(f"{where}.params.quantity", "give quantity or notional"))
    if errors:
        raise AppError(
            422,
            "Invalid plan",
            "Some rules cannot be used; see errors.",
            errors=errors,
            extensions=check.model_dump(include={"rule_index", "expression", "line", "column"})
            if check
            else None,
        )


def evaluate_days(
    session: Session,
    user_id: uuid.UUID,
    days: Collection[dt.date] | None,
    traceparent: str | None,
    now: dt.datetime | None = None,
    *,
    announce: bool = True,
) -> Evaluation:
    """Re-evaluates the trader's plan on `days` (None: every day) and stores the result.

    Violations found again keep their id; new ones are written, each with
    `rule.violated.v2` when `announce`; ones no longer found are removed. A rule that
    cannot be evaluated is marked on its version and skipped; it never stops the caller.
    """
    repository = PlanRepository(session, user_id)
    records = repository.versions()
    if not records or days is not None and not days:
        return Evaluation()
    evaluation = judge(session, user_id, records, days, now)
    store_evaluation(session, repository, records, days, evaluation, traceparent, announce=announce)
    return evaluation


def judge(
    session: Session,
    user_id: uuid.UUID,
    records: Sequence[PlanVersionRecord],
    days: Collection[dt.date] | None,
    now: dt.datetime | None = None,
) -> Evaluation:
    """The violations the plan's versions find on `days` (None: every day); nothing stored."""
    versions = [version_of(record) for record in records]
    repository = PlanRepository(session, user_id)
    evaluation = evaluate(
        versions,
        repository.positions(days),
        days,
        _time_zone(session, user_id),
        now or utcnow(),
        account_ledgers(session, user_id, versions),
    )
    # Account-history rules are judged over every day each time (see propfirm.py).
    evaluation.findings += _account_findings(repository, versions)
    return evaluation


def store_evaluation(
    session: Session,
    repository: PlanRepository,
    records: Sequence[PlanVersionRecord],
    days: Collection[dt.date] | None,
    evaluation: Evaluation,
    traceparent: str | None,
    *,
    announce: bool,
) -> None:
    """Stores what `evaluation` of `days` found (see `evaluate_days`) and its faults."""
    versions = [version_of(record) for record in records]
    kinds = ACCOUNT_KINDS if holds_account_rules(versions) else frozenset()
    new = _store(session, repository, days, evaluation.findings, kinds)
    if announce:
        _announce(session, repository.user_id, new, traceparent)
    for record in records:
        faults = {
            str(rule_id): reason
            for (version, rule_id), reason in evaluation.faults.items()
            if version == record.version
        }
        if faults:
            record.faults = {**record.faults, **faults}
    session.flush()


def evaluate_after_change(
    session: Session, user_id: uuid.UUID, days: Collection[dt.date], traceparent: str | None
) -> None:
    """Re-evaluates `days` after an import or sync changed positions on them.

    Whatever goes wrong is logged and undone (a savepoint), never raised: a broken rule
    must not stop an import.
    """
    try:
        with session.begin_nested():
            evaluate_days(session, user_id, days, traceparent)
    except Exception:
        logger.exception("plan evaluation of %s days failed; the import goes on", len(days))


def _account_findings(
    repository: PlanRepository, versions: Sequence[VersionRules]
) -> list[Finding]:
    """The account-history rules' violations over every position of the trader; none
    (and nothing read) when no version holds such a rule."""
    if not holds_account_rules(versions):
        return []
    changes = repository.open_changes() if needs_open_changes(versions) else []
    return propfirm.judge(versions, repository.trades(), changes)


def _store(
    session: Session,
    repository: PlanRepository,
    days: Collection[dt.date] | None,
    findings: Iterable[Finding],
    kinds: Collection[str] = (),
) -> list[dict[str, Any]]:
    """Writes what changed since the last evaluation of `days` (and of `kinds` on any
    day), each kind of change in bulk, and returns the rows of the violations not known
    before."""
    existing = {row.key: row for row in repository.violations_on(days, kinds)}
    found = {finding.key: finding for finding in findings}
    repository.delete_violations([row.id for key, row in existing.items() if key not in found])
    now = utcnow()
    new: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    for key, finding in found.items():
        row = existing.get(key)
        values = _values(finding)
        if row is None:
            new.append(
                {
                    "id": uuid.uuid4(),
                    "user_id": repository.user_id,
                    "key": key,
                    "detected_at": now,
                    "created_at": now,
                    "updated_at": now,
                    **values,
                }
            )
        elif any(getattr(row, name) != value for name, value in values.items()):
            changed.append({"id": row.id, "updated_at": now, **values})
    if changed:
        # Updated by primary key in one executemany.
        session.execute(update(ViolationRecord), changed)
    if new:
        insert_rows(session, ViolationRecord.metadata.tables["violations"], new)
    return new


def _announce(
    session: Session, user_id: uuid.UUID, new: Iterable[dict[str, Any]], traceparent: str | None
) -> None:
    """One `rule.violated.v2` per newly stored violation row."""
    record_events(
        session,
        "rule.violated.v2",
        (
            RuleViolatedV2(
                user_id=user_id,
                violation_id=row["id"],
                rule_id=row["rule_id"],
                rule_kind=row["rule_kind"],
                position_id=row["position_id"],
                day=row["day"],
                cost=row["cost"],
                currency=row["currency"],
            )
            for row in new
        ),
        traceparent,
    )


def _values(finding: Finding) -> dict[str, Any]:
    return {name: getattr(finding, name) for name in FOUND_COLUMNS}


def has_plan(session: Session, user_id: uuid.UUID) -> bool:
    """Whether the trader has written a plan: without one an evaluation finds nothing."""
    return PlanRepository(session, user_id).plan() is not None


def affected_days(
    session: Session,
    account_id: uuid.UUID,
    keys: Iterable[tuple[str, str]],
    since: Mapping[Any, dt.datetime] | None = None,
) -> set[dt.date]:
    """The days whose evaluation can change when the positions of these instruments change:
    the days they opened and closed on, and the days a cooldown after their close reaches.

    With `since` (per instrument, the earliest new fill) positions closed before it are
    left out: a rematch from that time leaves them as they were.
    """
    days: set[dt.date] = set()
    ordered = sorted(keys)
    for start in range(0, len(ordered), KEYS_PER_STATEMENT):
        wanted = instrument_times(
            session,
            "wanted",
            account_id,
            [
                (asset_class, symbol, (since or {}).get((asset_class, symbol), BEGINNING))
                for asset_class, symbol in ordered[start : start + KEYS_PER_STATEMENT]
            ],
        )
        statement = (
            select(PositionRecord.opened_day, PositionRecord.closed_day)
            .select_from(wanted)
            .join(
                PositionRecord,
                and_(
                    of_instruments(PositionRecord, wanted),
                    or_(
                        PositionRecord.closed_at.is_(None),
                        PositionRecord.closed_at >= wanted.c.at,
                    ),
                ),
            )
        )
        for opened_day, closed_day in session.execute(statement):
            if opened_day is not None:
                days.add(opened_day)
            if closed_day is not None:
                days.update(
                    closed_day + dt.timedelta(days=ahead) for ahead in range(LOOK_BACK_DAYS + 1)
                )
    return days


def preview_plan(session: Session, user_id: uuid.UUID, body: TradingPlanUpdate) -> PlanPreview:
    """What `body` would have flagged had it been in force all along; nothing is stored.

    The same 422 problem as saving for rules that cannot be used.
    """
    check_rules(body)
    rules = [
        rule_of(
            {
                "id": uuid.uuid4(),
                "name": rule.name,
                "enabled": rule.enabled,
                "params": rule.params.model_dump(mode="json"),
            }
        )
        for rule in body.rules
    ]
    repository = PlanRepository(session, user_id)
    positions = repository.positions(None)
    versions = [VersionRules(0, dt.datetime.min.replace(tzinfo=dt.UTC), tuple(rules))]
    evaluation = evaluate(
        versions,
        positions,
        None,
        _time_zone(session, user_id),
        utcnow(),
        account_ledgers(session, user_id, versions),
    )
    evaluation.findings += _account_findings(repository, versions)
    by_rule: dict[uuid.UUID, list[Finding]] = {rule.id: [] for rule in rules}
    for finding in evaluation.findings:
        by_rule[finding.rule_id].append(finding)
    return PlanPreview(
        positions_evaluated=len(positions),
        positions_flagged=len(_flagged_positions(evaluation.findings)),
        days_flagged=len({finding.day for finding in evaluation.findings}),
        violations=len(evaluation.findings),
        costs=costs_of(evaluation.findings),
        rules=[
            RulePreview(
                rule_index=index,
                name=rule.name,
                kind=rule.kind,
                positions_flagged=len(_flagged_positions(by_rule[rule.id])),
                days_flagged=len({finding.day for finding in by_rule[rule.id]}),
                violations=len(by_rule[rule.id]),
                costs=costs_of(by_rule[rule.id]),
            )
            for index, rule in enumerate(rules)
        ],
    )


def _flagged_positions(findings: Iterable[Finding]) -> set[uuid.UUID]:
    return {finding.position_id for finding in findings if finding.position_id is not None}


def costs_of(findings: Iterable[Finding | ViolationRecord]) -> list[Cost]:
    """The summed cost per currency, currencies in alphabetical order."""
    totals: dict[str, Decimal] = {}
    for finding in findings:
        totals[finding.currency] = totals.get(finding.currency, Decimal(0)) + finding.cost
    return [Cost(amount=amount, currency=currency) for currency, amount in sorted(totals.items())]


def _time_zone(session: Session, user_id: uuid.UUID) -> str:
    return session.scalars(select(UserRecord.time_zone).where(UserRecord.id == user_id)).one()


def version_of(record: PlanVersionRecord) -> VersionRules:
    return VersionRules(
        version=record.version,
        effective_from=record.effective_from,
        rules=tuple(rule_of(rule) for rule in record.rules),
    )


def to_plan(plan: TradingPlanRecord, record: PlanVersionRecord) -> TradingPlan:
    """The version, with whether the plan's past trades are judged by its current version."""
    return TradingPlan.model_validate(
        {
            **plan_fields(plan.id, record),
            "evaluation": plan.evaluation,
            "judged_version": plan.judged_version,
        }
    )


def to_versions(records: Sequence[PlanVersionRecord]) -> PlanVersionList:
    """Every version, newest first, each in force until the next one came in."""
    ordered = sorted(records, key=lambda record: record.version)
    until = [later.effective_from for later in ordered[1:]] + [None]
    return PlanVersionList(
        items=[
            PlanVersion.model_validate(
                {**plan_fields(record.plan_id, record), "effective_until": end}
            )
            for record, end in reversed(list(zip(ordered, until, strict=True)))
        ]
    )


def plan_fields(plan_id: uuid.UUID, record: PlanVersionRecord) -> dict[str, Any]:
    return {
        "id": plan_id,
        "version": record.version,
        "effective_from": record.effective_from,
        "rules": [
            Rule(
                id=uuid.UUID(str(rule["id"])),
                name=rule["name"],
                enabled=rule["enabled"],
                kind=rule["params"]["kind"],
                params=rule["params"],
            )
            for rule in record.rules
        ],
    }


def to_violation(record: ViolationRecord) -> Violation:
    return Violation(
        id=record.id,
        rule_id=record.rule_id,
        rule_kind=record.rule_kind,
        plan_version=record.plan_version,
        position_id=record.position_id,
        day=record.day,
        observed=record.observed,
        allowed=record.allowed,
        cost=record.cost,
        currency=record.currency,
        detected_at=record.detected_at,
    )
