"""Storing a week's review through core, narrated by the model when one is configured.

core stores the review and, after its commit, announces it with `coach.review_ready.v1`
(core owns the outbox, so the event is never sent for a review that was not stored).
The model only rewrites the review's own numbers in plain words; a narrative with a
number that is not in the review is dropped for the written template.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from uuid import UUID
from zoneinfo import ZoneInfo

from ai_coach.contracts.weekly_review import WeeklyReview as StoredReview
from ai_coach.contracts.weekly_review_create import WeeklyReviewCreate, WeeklyReviewReport
from ai_coach.core import CoreClient
from ai_coach.llm.budget import DailyBudget
from ai_coach.llm.client import LlmClient, LlmError
from ai_coach.llm.grounding import ungrounded
from ai_coach.llm.metrics import record_request
from ai_coach.positions import trades_by_currency
from ai_coach.reflections.themes import tag_entries
from ai_coach.reviews.weekly import build_review

logger = logging.getLogger(__name__)
NARRATION_PROMPT = (
    "You are a trading coach writing a trader's weekly review. Write four or five plain "
    "sentences from the JSON the user sends: the week against the usual week, the top "
    "insights, the journal themes and the focus for next week. Use only numbers that appear "
    "in the JSON, exactly as written there; never compute or estimate a number."
)


class ReviewNarrator:
    """The model's narrative of a review, or None when the template must stand."""

    def __init__(self, client: LlmClient, budget: DailyBudget, max_tokens: int) -> None:
        self._client = client
        self._budget = budget
        self._max_tokens = max_tokens

    async def narrate(self, user_id: UUID, review: WeeklyReviewReport) -> str | None:
        """A grounded narrative, or None (no budget, the model failed, a number invented)."""
        if not self._budget.allows(user_id):
            record_request(self._client.model, "budget", None)
            return None
        started = time.perf_counter()
        text, outcome = await self._narrate(user_id, review)
        record_request(self._client.model, outcome, time.perf_counter() - started)
        return text

    async def _narrate(self, user_id: UUID, review: WeeklyReviewReport) -> tuple[str | None, str]:
        # The narrative (None: the template stands) and the outcome of the model's use.
        facts = review.model_dump_json(exclude={"narrative"})
        messages = [
            {"role": "system", "content": NARRATION_PROMPT},
            {"role": "user", "content": facts},
        ]
        try:
            completion = await self._client.complete(messages, [], self._max_tokens)
        except LlmError as error:
            logger.warning("review: the model failed (%s), keeping the template", error)
            return None, error.outcome
        self._budget.charge(user_id, completion.prompt_tokens, completion.completion_tokens)
        text = (completion.content or "").strip()
        if not text:
            return None, "empty_answer"
        if ungrounded(text, [facts]):
            logger.info("review: the model's narrative cited numbers not in the review")
            return None, "rejected_numbers"
        return text, "ok"


def review_metrics(review: WeeklyReviewReport) -> dict[str, str]:
    """The week's and the baseline's figures by name (`USD.week.net_pnl`), as strings."""
    metrics = {}
    for item in review.currencies:
        for side, numbers in (("week", item.week), ("baseline", item.baseline)):
            for name, value in json.loads(numbers.model_dump_json()).items():
                if value is not None:
                    metrics[f"{item.currency}.{side}.{name}"] = str(value)
    return metrics


async def compute_review(
    core: CoreClient, user_id: UUID, week_start: dt.date, zone: ZoneInfo
) -> WeeklyReviewReport:
    """The review of the week from `week_start`, from what core holds of the trader now.

    Raises CoreUnavailableError when core cannot be read.
    """
    positions = await core.list_closed_positions(user_id)
    entries = await core.list_journal_entries(user_id)
    violations = await core.list_violations(user_id) if positions else []
    week_end = week_start + dt.timedelta(days=6)
    adherence = await core.plan_adherence(user_id, week_start, week_end)
    return build_review(
        trades_by_currency(positions),
        tag_entries(entries, zone),
        week_start,
        zone,
        violations=violations,
        adherence=adherence,
    )


async def publish_weekly_review(
    core: CoreClient,
    narrator: ReviewNarrator | None,
    user_id: UUID,
    week_start: dt.date,
    zone: ZoneInfo,
) -> StoredReview:
    """Compute the week's review, narrate it, and store it through core.

    Raises CoreUnavailableError when core cannot be read or does not store it.
    """
    review = await compute_review(core, user_id, week_start, zone)
    narrative = await narrator.narrate(user_id, review) if narrator is not None else None
    if narrative is not None:
        review = review.model_copy(update={"narrative": narrative})
    body = WeeklyReviewCreate(
        week_start=review.week_start,
        summary=review.narrative,
        focus=review.focus.rule,
        metrics=review_metrics(review),
        report=review,
    )
    return await core.create_review(user_id, body)
