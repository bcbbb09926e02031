"""Storing a week's review (once per trader and week) and reading them back."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from tradeloop_contracts import (
    CoachReviewReady,
    WeeklyReview,
    WeeklyReviewCreate,
    WeeklyReviewReport,
)

from core_api.errors import NotFoundError
from core_api.identity.service import get_user
from core_api.outbox.service import record_event
from core_api.reviews.models import WeeklyReviewRecord

LIST_LIMIT = 104


@dataclass(frozen=True)
class WeeklyReviewRepository:
    """The reviews of one trader; another trader's ids are not found."""

    session: Session
    user_id: uuid.UUID

    def list(self) -> Sequence[WeeklyReviewRecord]:
        return self.session.scalars(
            select(WeeklyReviewRecord)
            .where(WeeklyReviewRecord.user_id == self.user_id)
            .order_by(WeeklyReviewRecord.week_start.desc())
            .limit(LIST_LIMIT)
        ).all()

    def get(self, review_id: uuid.UUID) -> WeeklyReviewRecord:
        record = self.session.scalar(
            select(WeeklyReviewRecord).where(
                WeeklyReviewRecord.id == review_id, WeeklyReviewRecord.user_id == self.user_id
            )
        )
        if record is None:
            raise NotFoundError("weekly review")
        return record

    def of_week(self, body: WeeklyReviewCreate) -> WeeklyReviewRecord | None:
        return self.session.scalar(
            select(WeeklyReviewRecord)
            .where(
                WeeklyReviewRecord.user_id == self.user_id,
                WeeklyReviewRecord.week_start == body.week_start,
            )
            .with_for_update()
        )


def store_review(
    session: Session, user_id: uuid.UUID, body: WeeklyReviewCreate, traceparent: str | None
) -> tuple[WeeklyReviewRecord, bool]:
    """The trader's review of the week and whether it was new.

    A review of a week already stored replaces its content (the coach recomputed it) and
    is announced again only when the content changed; posting the same review twice
    stores and announces it once. NotFoundError for an unknown trader.
    """
    get_user(session, user_id)
    repository = WeeklyReviewRepository(session, user_id)
    content = {
        "summary": body.summary,
        "focus": body.focus,
        "metrics": body.metrics,
        "insight_ids": [str(insight_id) for insight_id in body.insight_ids],
        "report": body.report.model_dump(mode="json"),
    }
    record = repository.of_week(body)
    created = record is None
    if record is None:
        record = _insert(
            session, WeeklyReviewRecord(user_id=user_id, week_start=body.week_start, **content)
        )
        if record is None:
            # Another request stored this week in between; it holds the row now.
            record = repository.of_week(body)
            assert record is not None
            created = False
    if not created:
        if all(getattr(record, name) == value for name, value in content.items()):
            return record, False
        for name, value in content.items():
            setattr(record, name, value)
        session.flush()
    record_event(
        session,
        "coach.review_ready.v1",
        CoachReviewReady(user_id=user_id, review_id=record.id, week_start=record.week_start),
        traceparent,
    )
    return record, created


def _insert(session: Session, record: WeeklyReviewRecord) -> WeeklyReviewRecord | None:
    """The record inserted, or None when the trader's week is already there."""
    try:
        with session.begin_nested():
            session.add(record)
            session.flush()
    except IntegrityError:
        return None
    return record


def to_review(record: WeeklyReviewRecord) -> WeeklyReview:
    return WeeklyReview(
        id=record.id,
        week_start=record.week_start,
        summary=record.summary,
        focus=record.focus,
        metrics=record.metrics,
        insight_ids=[uuid.UUID(insight_id) for insight_id in record.insight_ids],
        report=WeeklyReviewReport.model_validate(record.report) if record.report else None,
        created_at=record.created_at,
    )
