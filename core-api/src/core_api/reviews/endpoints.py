"""Weekly reviews: stored by the coach, read by the trader."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response
from tradeloop_contracts import WeeklyReview, WeeklyReviewCreate, WeeklyReviewList

from core_api.db import DbSession
from core_api.identity.dependencies import CurrentUser, ServiceCaller
from core_api.kit.tracing import Traceparent
from core_api.reviews.service import WeeklyReviewRepository, store_review, to_review

public = APIRouter(tags=["reviews"])
internal = APIRouter(tags=["reviews"])


@public.get("/v1/reviews")
def list_reviews(user: CurrentUser, session: DbSession) -> WeeklyReviewList:
    """The trader's weekly reviews, newest week first."""
    records = WeeklyReviewRepository(session, user.id).list()
    return WeeklyReviewList(items=[to_review(record) for record in records])


@public.get("/v1/reviews/{review_id}")
def get_review(review_id: uuid.UUID, user: CurrentUser, session: DbSession) -> WeeklyReview:
    """One weekly review with its full report."""
    return to_review(WeeklyReviewRepository(session, user.id).get(review_id))


@internal.post("/internal/users/{user_id}/reviews", status_code=201)
def add_review(
    user_id: uuid.UUID,
    body: WeeklyReviewCreate,
    response: Response,
    _caller: ServiceCaller,
    session: DbSession,
    traceparent: Traceparent,
) -> WeeklyReview:
    """Store the coach's review of a week: 201 when new, 200 when the week was stored."""
    record, created = store_review(session, user_id, body, traceparent)
    if not created:
        response.status_code = 200
    return to_review(record)
