"""Storing and listing insights."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session
from tradeloop_contracts import CoachInsightCreated, Evidence, Insight, InsightCreate

from core_api.identity.service import get_user
from core_api.insights.models import InsightRecord
from core_api.outbox.service import record_event

LIST_LIMIT = 100


def create_insight(
    session: Session, user_id: uuid.UUID, body: InsightCreate, traceparent: str | None
) -> InsightRecord:
    """The stored insight, with `coach.insight_created.v1` written; NotFoundError for no user."""
    get_user(session, user_id)
    record = InsightRecord(
        user_id=user_id,
        kind=body.kind,
        title=body.title,
        body=body.body,
        evidence=body.evidence.model_dump(mode="json"),
        confidence=body.confidence,
        cost=body.cost,
        currency=body.currency,
        suggested_rule=body.suggested_rule,
        period_start=body.period_start,
        period_end=body.period_end,
    )
    session.add(record)
    session.flush()
    record_event(
        session,
        "coach.insight_created.v1",
        CoachInsightCreated(
            user_id=user_id, insight_id=record.id, kind=body.kind, title=body.title
        ),
        traceparent,
    )
    return record


def latest_insights(session: Session, user_id: uuid.UUID) -> Sequence[InsightRecord]:
    """The trader's most recent insights, newest first."""
    return session.scalars(
        select(InsightRecord)
        .where(InsightRecord.user_id == user_id)
        .order_by(InsightRecord.created_at.desc(), InsightRecord.id.desc())
        .limit(LIST_LIMIT)
    ).all()


def to_insight(record: InsightRecord) -> Insight:
    return Insight(
        id=record.id,
        kind=record.kind,
        title=record.title,
        body=record.body,
        evidence=Evidence.model_validate(record.evidence),
        confidence=record.confidence,
        cost=record.cost,
        currency=record.currency,
        suggested_rule=record.suggested_rule,
        period_start=record.period_start,
        period_end=record.period_end,
        created_at=record.created_at,
    )
