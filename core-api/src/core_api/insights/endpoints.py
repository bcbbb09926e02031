"""Insights: stored by the coach, read by the trader."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from tradeloop_contracts import Insight, InsightCreate, InsightList

from core_api.db import DbSession
from core_api.identity.dependencies import CurrentUser, ServiceCaller
from core_api.identity.service import get_user
from core_api.insights.service import create_insight, latest_insights, to_insight
from core_api.kit.tracing import Traceparent

public = APIRouter(tags=["insights"])
internal = APIRouter(tags=["insights"])


@public.get("/v1/insights")
def list_insights(user: CurrentUser, session: DbSession) -> InsightList:
    """The trader's most recent insights."""
    return InsightList(items=[to_insight(record) for record in latest_insights(session, user.id)])


@internal.get("/internal/users/{user_id}/insights")
def list_insights_for_service(
    user_id: uuid.UUID, _caller: ServiceCaller, session: DbSession
) -> InsightList:
    """A trader's most recent insights, newest first (the coach skips ones it already made)."""
    get_user(session, user_id)
    return InsightList(items=[to_insight(record) for record in latest_insights(session, user_id)])


@internal.post("/internal/users/{user_id}/insights", status_code=201)
def add_insight(
    user_id: uuid.UUID,
    body: InsightCreate,
    _caller: ServiceCaller,
    session: DbSession,
    traceparent: Traceparent,
) -> Insight:
    """Store an insight the coach computed."""
    return to_insight(create_insight(session, user_id, body, traceparent))
