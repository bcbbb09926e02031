"""Scheduled jobs: cron expressions, run by one worker copy per scheduled time.

Every copy of the worker runs the scheduler. When a job is due, the copies race for a
lease named after the job and the scheduled time; the winner runs it, the others skip
that time. A copy that dies mid-run does not hand the time over: jobs are idempotent
and the next scheduled time runs them again.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from croniter import croniter
from opentelemetry.trace import Status, StatusCode
from tradeloop_contracts.bus import Bus
from tradeloop_contracts.telemetry import tracer

from .leases import Leases

logger = logging.getLogger(__name__)
# A scheduled time stays taken this long, so a copy whose clock lags cannot run it again.
LEASE_SECONDS = 6 * 3600
TICK_SECONDS = 1.0


@dataclass(frozen=True)
class ScheduledJob:
    """A job by name, its cron expression (UTC), and its work (None: not available yet)."""

    name: str
    cron: str
    work: Callable[[], Awaitable[None]] | None
    needs: str = ""


def catalogue(
    bus: Bus,
    groups: Sequence[str],
    *,
    broker_sync: Callable[[], Awaitable[object]] | None = None,
    weekly_review: Callable[[], Awaitable[object]] | None = None,
) -> dict[str, ScheduledJob]:
    """Every job the worker knows, by name; those whose work is None cannot be enabled.

    `broker_sync` is None when the worker has no key ring to open broker secrets.
    """

    async def report_dead_letters() -> None:
        await report_dead_letters_of(bus, groups)

    jobs = [
        ScheduledJob("dead-letter-report", "*/15 * * * *", report_dead_letters),
        ScheduledJob(
            "broker-sync",
            "*/30 * * * *",
            _discarding(broker_sync) if broker_sync else None,
            "WORKERS_SEALING_KEYS, the key ring that opens broker secrets",
        ),
        ScheduledJob("market-data-refresh", "*/5 * * * *", None, "core's market data routes"),
        # Hourly: each trader's week is due from their own Monday 06:00 (coach_reviews).
        ScheduledJob(
            "weekly-coach-review",
            "5 * * * *",
            _discarding(weekly_review) if weekly_review else None,
            "ai-coach's weekly review route (WORKERS_COACH_URL)",
        ),
        ScheduledJob("key-reseal", "0 3 * * *", None, "core's key re-seal route"),
    ]
    return {job.name: job for job in jobs}


def _discarding(work: Callable[[], Awaitable[object]]) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        await work()

    return run


def enabled_jobs(known: Mapping[str, ScheduledJob], names: Iterable[str]) -> list[ScheduledJob]:
    """The jobs named in `names`, in that order.

    Raises ValueError naming a job that does not exist or whose work is not available yet.
    """
    jobs = []
    for name in names:
        job = known.get(name)
        if job is None:
            raise ValueError(f"unknown scheduled job {name!r}; known: {', '.join(known)}")
        if job.work is None:
            raise ValueError(f"scheduled job {name!r} cannot run yet: it needs {job.needs}")
        jobs.append(job)
    return jobs


async def report_dead_letters_of(bus: Bus, groups: Sequence[str]) -> dict[str, int]:
    """Log a warning for each group holding dead letters; the count per group.

    Raises the bus's errors when it cannot be reached.
    """
    counts = {group: len(await bus.dead_letters(group)) for group in groups}
    for group, count in counts.items():
        if count:
            logger.warning(
                "group %s holds %d dead letters; see `workers dead-letters list`", group, count
            )
    return counts


class Scheduler:
    """Runs each job at the times its cron expression gives, once across every copy."""

    def __init__(
        self,
        jobs: Sequence[ScheduledJob],
        leases: Leases,
        *,
        holder: str,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self._jobs = list(jobs)
        self._leases = leases
        self._holder = holder
        self._clock = clock
        start = clock()
        self._due = {job.name: _next_time(job.cron, start) for job in self._jobs}

    async def run(self, stop: asyncio.Event) -> None:
        """Run due jobs until `stop` is set; a failing job or lease store is logged, not fatal."""
        while not stop.is_set():
            try:
                await self.run_due()
            except Exception:
                logger.exception("the scheduler could not reach its lease store")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), TICK_SECONDS)

    async def run_due(self) -> list[str]:
        """Run the jobs due now that no other copy took; the names of those run here.

        A job's error is logged; it does not stop the others. Raises the lease store's
        errors when it cannot be reached (the time is then tried again on the next tick).
        """
        now = self._clock()
        ran = []
        for job in self._jobs:
            due = self._due[job.name]
            if due > now:
                continue
            taken = await self._leases.acquire(
                f"scheduler:{job.name}:{due.isoformat()}", self._holder, LEASE_SECONDS
            )
            self._due[job.name] = _next_time(job.cron, now)
            if not taken or job.work is None:
                continue
            # Each run is a trace of its own; its calls to core join it.
            with tracer().start_as_current_span(f"job {job.name}") as span:
                try:
                    await job.work()
                except Exception as error:
                    span.record_exception(error)
                    span.set_status(Status(StatusCode.ERROR, type(error).__name__))
                    logger.exception("scheduled job %s failed", job.name)
            ran.append(job.name)
        return ran


def _next_time(cron: str, after: dt.datetime) -> dt.datetime:
    return croniter(cron, after).get_next(dt.datetime)
