"""The weekly coach review: once a week per trader, ask ai-coach to review their week.

A week is Monday to Sunday in the trader's own time zone, and its review is due from the
following Monday 06:00 there: the week is over everywhere it is theirs, and the review is
ready before a trader's Monday session. The job runs every hour; each run asks core which
traders closed a position in a due week and have no review of it, and asks ai-coach to
review each of them. ai-coach stores the review through core, which keeps one per trader
and week, so a run repeated or cut short does nothing twice.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_delay,
    wait_exponential_jitter,
)
from tradeloop_contracts import WeeklyReviewDue
from tradeloop_contracts.telemetry import TracedTransport, bind_user, unbind_user

from .core import CoreClient, CoreError

logger = logging.getLogger(__name__)
DUE_AFTER = dt.timedelta(days=7, hours=6)  # from the week's Monday 00:00: next Monday 06:00
# Every UTC offset in use lies between these; a trader's due week is one of theirs.
_EARLIEST_OFFSET = dt.timezone(dt.timedelta(hours=14))
_LATEST_OFFSET = dt.timezone(dt.timedelta(hours=-12))


class CoachError(Exception):
    """ai-coach did not store the review; the message says why, without any secret."""


class CoachUnavailableError(CoachError):
    """ai-coach did not answer, or answered 429 or 5xx: worth asking again later."""


def coach_http(base_url: str, *, timeout: float) -> httpx.AsyncClient:
    """An httpx client for ai-coach whose calls join the current trace."""
    return httpx.AsyncClient(base_url=base_url, timeout=timeout, transport=TracedTransport())


class CoachClient:
    """Calls ai-coach's internal review route with the service token core issued to workers.

    Retries with capped exponential backoff for `retry_seconds` while ai-coach is
    unreachable or answers 429/5xx, then raises CoachUnavailableError; another refusal
    raises CoachError at once. A 401 fetches a fresh token from core once.
    """

    def __init__(self, http: httpx.AsyncClient, core: CoreClient, *, retry_seconds: float) -> None:
        self._http = http
        self._core = core
        self._retry_seconds = retry_seconds

    async def review_week(self, user_id: UUID, week_start: dt.date, time_zone: str) -> None:
        """Have ai-coach compute, store and announce the review of the trader's week."""
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(CoachUnavailableError),
            stop=stop_after_delay(self._retry_seconds),
            wait=wait_exponential_jitter(multiplier=0.2, max=10.0),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                await self._review_once(user_id, week_start, time_zone)

    async def _review_once(self, user_id: UUID, week_start: dt.date, time_zone: str) -> None:
        path = f"/internal/users/{user_id}/reviews/weekly"
        params = {"week": week_start.isoformat(), "time_zone": time_zone}
        token = await self._core.service_token()
        response = await self._post(path, params, token)
        if response.status_code == 401:
            response = await self._post(path, params, await self._core.service_token(stale=token))
        status = response.status_code
        if status in (200, 201):
            return
        if status == 429 or status >= 500:
            raise CoachUnavailableError(f"ai-coach answered {status} to {path}")
        raise CoachError(f"ai-coach answered {status} to {path}")

    async def _post(self, path: str, params: dict[str, str], token: str) -> httpx.Response:
        try:
            return await self._http.post(
                path, params=params, headers={"Authorization": f"Bearer {token}"}
            )
        except httpx.HTTPError as error:
            raise CoachUnavailableError(
                f"ai-coach did not answer {path}: {type(error).__name__}"
            ) from error


def due_week(now: dt.datetime, zone: dt.tzinfo) -> dt.date:
    """The Monday of the latest week whose review is due at `now` in `zone`: the week
    whose next Monday 06:00 (local) has passed."""
    shifted = now.astimezone(zone) - (DUE_AFTER - dt.timedelta(days=7))
    this_monday = shifted.date() - dt.timedelta(days=shifted.weekday())
    return this_monday - dt.timedelta(days=7)


def candidate_weeks(now: dt.datetime) -> list[dt.date]:
    """The weeks some trader may be due for at `now`, oldest first (one or two)."""
    return sorted({due_week(now, _LATEST_OFFSET), due_week(now, _EARLIEST_OFFSET)})


@dataclass(frozen=True)
class ReviewRun:
    """What one run did: the reviews stored and those that failed (retried next run)."""

    reviewed: list[tuple[UUID, dt.date]]
    failed: list[tuple[UUID, dt.date]]


class WeeklyCoachReview:
    """The scheduled job `weekly-coach-review`."""

    def __init__(
        self,
        core: CoreClient,
        coach: CoachClient,
        *,
        concurrency: int = 2,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self._core = core
        self._coach = coach
        self._slots = asyncio.Semaphore(concurrency)
        self._clock = clock

    async def run(self) -> ReviewRun:
        """Ask ai-coach for every review due now that core does not hold yet.

        One trader's failure is logged and left for the next run; the others go on.
        Raises CoreError while core cannot list who is due.
        """
        now = self._clock()
        reviewed: list[tuple[UUID, dt.date]] = []
        failed: list[tuple[UUID, dt.date]] = []
        for week_start in candidate_weeks(now):
            cursor: str | None = None
            while True:
                page = await self._core.weekly_review_due(week_start, cursor)
                due = [trader for trader in page.items if _is_due(trader, week_start, now)]
                results = await asyncio.gather(
                    *(self._review(trader, week_start) for trader in due)
                )
                for trader, stored in zip(due, results, strict=True):
                    (reviewed if stored else failed).append((trader.user_id, week_start))
                cursor = page.next_cursor
                if cursor is None:
                    break
        if reviewed or failed:
            logger.info("weekly reviews: %d stored, %d failed", len(reviewed), len(failed))
        return ReviewRun(reviewed, failed)

    async def _review(self, trader: WeeklyReviewDue, week_start: dt.date) -> bool:
        async with self._slots:
            token = bind_user(trader.user_id)
            try:
                await self._coach.review_week(trader.user_id, week_start, trader.time_zone)
            except (CoachError, CoreError) as error:
                logger.warning("the review of the week of %s was not stored: %s", week_start, error)
                return False
            finally:
                unbind_user(token)
            return True


def _is_due(trader: WeeklyReviewDue, week_start: dt.date, now: dt.datetime) -> bool:
    # Core lists whoever traded in the week; for traders west of the earliest zone the
    # week may not be over yet. An earlier week than their due one is a missed run's.
    try:
        zone = ZoneInfo(trader.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        logger.warning("trader's time zone %r is unknown; their review waits", trader.time_zone)
        return False
    return week_start <= due_week(now, zone)
