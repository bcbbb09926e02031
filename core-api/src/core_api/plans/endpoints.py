"""The trader's plan, its versions, and the violations found against it."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query
from tradeloop_contracts import (
    Adherence,
    PlanLimits,
    PlanPresetList,
    PlanPreview,
    PlanVersionList,
    TradingPlan,
    TradingPlanUpdate,
    Violation,
    ViolationPage,
)

from core_api.accounts.repository import AccountRepository
from core_api.db import DbSession
from core_api.errors import AppError, FieldError, NotFoundError
from core_api.identity.dependencies import CurrentUser, ServiceCaller
from core_api.kit.clock import utcnow
from core_api.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT, Cursor
from core_api.kit.tracing import Traceparent
from core_api.plans.adherence import adherence
from core_api.plans.judging import Judge
from core_api.plans.limits import plan_limits
from core_api.plans.presets import PRESETS
from core_api.plans.repository import PlanRepository
from core_api.plans.service import preview_plan, save_plan, to_plan, to_versions, to_violation

router = APIRouter(tags=["plans"])
internal = APIRouter(tags=["plans"])
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
AccountFilter = Annotated[
    uuid.UUID | None,
    Query(description="Only this account's (a limit over the whole day: its crossing trade's)."),
]


@router.get("/v1/plan")
def get_plan(user: CurrentUser, session: DbSession) -> TradingPlan:
    """The plan in force now."""
    repository = PlanRepository(session, user.id)
    plan = repository.plan()
    if plan is None:
        raise NotFoundError("trading plan")
    return to_plan(plan, repository.version(plan.current_version))


@router.put("/v1/plan")
def put_plan(
    body: TradingPlanUpdate,
    user: CurrentUser,
    session: DbSession,
    traceparent: Traceparent,
    judge: Judge,
    tasks: BackgroundTasks,
) -> TradingPlan:
    """Put a new version of the plan in force; past trades are judged by it after the answer."""
    plan, record = save_plan(session, user.id, body, traceparent)
    # Background tasks run after the response, so after the request's commit.
    tasks.add_task(judge.request, user.id)
    return to_plan(plan, record)


@router.post("/v1/plan/preview")
def preview_trading_plan(
    body: TradingPlanUpdate, user: CurrentUser, session: DbSession
) -> PlanPreview:
    """What a proposed plan would have flagged over every stored trade; nothing is saved."""
    return preview_plan(session, user.id, body)


@router.get("/v1/plan/presets")
def list_plan_presets(_user: CurrentUser) -> PlanPresetList:
    """Ready-made rule sets (prop-firm evaluations and funded accounts) to start a plan from."""
    return PRESETS


@router.get("/v1/plan/limits")
def get_plan_limits(
    user: CurrentUser, session: DbSession, account_id: AccountFilter = None
) -> PlanLimits:
    """How far each account (or the one asked for) is from each limit of the plan in force,
    on its current trading day (404 before the first plan)."""
    if account_id is not None:
        AccountRepository(session, user.id).get(account_id)
    return plan_limits(session, user.id, utcnow(), account_id)


@router.get("/v1/plan/versions")
def list_plan_versions(user: CurrentUser, session: DbSession) -> PlanVersionList:
    """Every version of the plan, newest first, with when each was in force."""
    return to_versions(PlanRepository(session, user.id).versions())


@router.get("/v1/plan/adherence")
def get_plan_adherence(
    user: CurrentUser,
    session: DbSession,
    start: dt.date | None = None,
    end: dt.date | None = None,
    account_id: AccountFilter = None,
) -> Adherence:
    """How well the trades opened on trading days `start`..`end` kept to the plan."""
    if account_id is not None:
        AccountRepository(session, user.id).get(account_id)
    return _adherence(session, user.id, start, end, account_id)


@internal.get("/internal/users/{user_id}/plan/adherence")
def get_plan_adherence_for_service(
    user_id: uuid.UUID,
    _caller: ServiceCaller,
    session: DbSession,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> Adherence:
    """A trader's plan adherence over trading days `start`..`end` (the weekly review's)."""
    return _adherence(session, user_id, start, end)


def _adherence(
    session: DbSession,
    user_id: uuid.UUID,
    start: dt.date | None,
    end: dt.date | None,
    account_id: uuid.UUID | None = None,
) -> Adherence:
    if start is not None and end is not None and start > end:
        raise AppError(422, "Invalid request", errors=[FieldError("query.start", "is after end")])
    return adherence(session, user_id, start, end, account_id)


@router.get("/v1/plan/versions/{version}")
def get_plan_version(version: int, user: CurrentUser, session: DbSession) -> TradingPlan:
    """One earlier (or the current) version of the plan."""
    repository = PlanRepository(session, user.id)
    record = repository.version(version)
    plan = repository.plan()
    assert plan is not None  # a version exists, so its plan does
    return to_plan(plan, record)


@router.get("/v1/violations")
def list_violations(
    user: CurrentUser,
    session: DbSession,
    position_id: uuid.UUID | None = None,
    rule_id: uuid.UUID | None = None,
    account_id: AccountFilter = None,
    cursor: str | None = None,
    limit: Limit = DEFAULT_LIMIT,
) -> ViolationPage:
    """Broken rules, newest first; `position_id`, `rule_id` or `account_id` narrow the list
    (404 for a position or account that is not the trader's)."""
    if account_id is not None:
        AccountRepository(session, user.id).get(account_id)
    repository = PlanRepository(session, user.id)
    return _violations(repository, cursor, limit, position_id, rule_id, account_id)


@internal.get("/internal/users/{user_id}/violations")
def list_violations_for_service(
    user_id: uuid.UUID,
    _caller: ServiceCaller,
    session: DbSession,
    cursor: str | None = None,
    limit: Limit = DEFAULT_LIMIT,
) -> ViolationPage:
    """A trader's broken rules, newest first (for the coach's insights and reviews)."""
    return _violations(PlanRepository(session, user_id), cursor, limit)


def _violations(
    repository: PlanRepository,
    cursor: str | None,
    limit: int,
    position_id: uuid.UUID | None = None,
    rule_id: uuid.UUID | None = None,
    account_id: uuid.UUID | None = None,
) -> ViolationPage:
    after = Cursor.decode(cursor) if cursor else None
    records = repository.page(after, limit + 1, position_id, rule_id, account_id)
    items = records[:limit]
    next_cursor = (
        Cursor(items[-1].detected_at, items[-1].id).encode() if len(records) > limit else None
    )
    return ViolationPage(items=[to_violation(record) for record in items], next_cursor=next_cursor)


@router.get("/v1/violations/{violation_id}")
def get_violation(violation_id: uuid.UUID, user: CurrentUser, session: DbSession) -> Violation:
    """One broken rule, with what was seen against what was allowed and its cost."""
    return to_violation(PlanRepository(session, user.id).violation(violation_id))
