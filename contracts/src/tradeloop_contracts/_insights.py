"""Coach insights and weekly reviews."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from pydantic import Field

from ._base import Amount, Currency, RequestBody, ResponseBody, Timestamp


class Evidence(ResponseBody):
    """The numbers behind an insight and the positions that show it."""

    metrics: dict[str, str] = Field(description="Named figures, decimals as strings.")
    sample_size: int = Field(ge=0)
    position_ids: list[UUID] = Field(default_factory=list)


class InsightCreate(RequestBody):
    """An insight computed by the coach, stored by core."""

    kind: str = Field(min_length=1, max_length=64)
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(max_length=5000)
    evidence: Evidence
    confidence: str = Field(description="e.g. 'p=0.01' or '90% CI 12.0..40.5'.", max_length=100)
    cost: Amount | None = None
    currency: Currency | None = None
    suggested_rule: str | None = Field(default=None, max_length=500)
    period_start: dt.date | None = None
    period_end: dt.date | None = None


class Insight(ResponseBody):
    """A stored insight."""

    id: UUID
    kind: str
    title: str
    body: str
    evidence: Evidence
    confidence: str
    cost: Amount | None = None
    currency: Currency | None = None
    suggested_rule: str | None = None
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    created_at: Timestamp


class InsightList(ResponseBody):
    """Insights, most recent first."""

    items: list[Insight]


class WeeklyReview(ResponseBody):
    """A week's numbers against the trader's own baseline, and one focus for next week."""

    id: UUID
    week_start: dt.date
    summary: str
    focus: str
    metrics: dict[str, str]
    insight_ids: list[UUID] = Field(default_factory=list)
    created_at: Timestamp


class WeeklyReviewList(ResponseBody):
    """Weekly reviews, newest first."""

    items: list[WeeklyReview]
