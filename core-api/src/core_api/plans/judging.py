"""Judging a trader's past trades by their plan after the response, in a work process.

A plan change (or a change to what its limits in % or R read) marks the plan "pending"
and bumps its `judging_round` in the request's transaction; once that commits the
request asks the `PlanJudge` to judge the trader. The judging reads and evaluates in one
short transaction, then stores in a second one that first locks the trader's accounts
(import batches of them wait) and the plan: a round that moved on meanwhile means a newer
change will be judged, so the result is dropped; positions or journal entries that changed
meanwhile are evaluated again under the locks. It ends with `plan.updated.v1`. A plan left
pending by a process that stopped is judged again when core next starts (design: decision
record 17).
"""

from __future__ import annotations

import logging
import queue
import threading
import uuid
from collections.abc import Callable, Iterable
from typing import Annotated, Protocol

from fastapi import Depends, Request
from sqlalchemy import func, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from tradeloop_contracts import PlanUpdated

from core_api.accounts.models import AccountRecord
from core_api.journal.models import JournalEntryRecord
from core_api.kit.offload import Offload
from core_api.outbox.service import record_event
from core_api.plans.engine import VersionRules
from core_api.plans.models import TradingPlanRecord
from core_api.plans.repository import PlanRepository
from core_api.plans.service import (
    holds_account_limits,
    judge,
    mark_pending,
    reads_stops,
    store_evaluation,
    version_of,
)
from core_api.positions.models import PositionRecord

logger = logging.getLogger(__name__)


class Worker(Protocol):
    def submit(self, job: Callable[[], None]) -> None: ...


class BackgroundThread:
    """Runs jobs one at a time on a daemon thread, started with the first job.

    A daemon, so a stopping process does not wait for a long judging: the plan stays
    pending and the next start judges it again.
    """

    def __init__(self) -> None:
        self._jobs: queue.Queue[Callable[[], None]] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def submit(self, job: Callable[[], None]) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="plan-judge", daemon=True)
                self._thread.start()
        self._jobs.put(job)

    def join(self) -> None:
        """Waits until every job submitted so far has run."""
        self._jobs.join()

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            try:
                job()
            finally:
                self._jobs.task_done()


class PlanJudge:
    """Judges traders' plans one after another; a trader asked for twice before their
    judging starts is judged once, by the plan as it stands then.

    The background thread only waits: the judging runs through `offload`, in one of core's
    work processes when it has them, so its CPU never holds up the event loop.
    """

    def __init__(
        self, sessions: sessionmaker[Session], offload: Offload, worker: Worker | None = None
    ) -> None:
        self.sessions = sessions
        self.offload = offload
        self.worker = worker or BackgroundThread()
        self._waiting: set[uuid.UUID] = set()
        self._lock = threading.Lock()

    def request(self, user_id: uuid.UUID) -> None:
        """Judges the trader's plan soon, if it is pending then. Call after the commit."""
        with self._lock:
            if user_id in self._waiting:
                return
            self._waiting.add(user_id)
        self.worker.submit(lambda: self._run(user_id))

    def resume(self) -> None:
        """Asks for every plan left pending, such as by a process that stopped mid-way; a
        database that does not answer is logged (the next change or start asks again)."""
        try:
            with self.sessions() as session:
                waiting = session.scalars(
                    select(TradingPlanRecord.user_id).where(
                        TradingPlanRecord.evaluation == "pending"
                    )
                ).all()
        except SQLAlchemyError:
            logger.warning("pending plans not read: the database does not answer", exc_info=True)
            return
        for user_id in waiting:
            self.request(user_id)

    def _run(self, user_id: uuid.UUID) -> None:
        with self._lock:
            self._waiting.discard(user_id)
        try:
            self.offload.call(judge_plan, user_id)
        except Exception:
            # The work process died: the plan stays pending, judged at the next start.
            logger.exception("a plan's judging did not run to its end")


def _judge(request: Request) -> PlanJudge:
    judge: PlanJudge = request.app.state.core.judge
    return judge


Judge = Annotated[PlanJudge, Depends(_judge)]


def rejudge_after_account_change(session: Session, user_id: uuid.UUID) -> bool:
    """Marks the trader's plan pending when one of its versions holds a limit in % or R,
    which read an account's balance and risk unit; whether it did (then ask the judge)."""
    return _rejudge_when(session, user_id, holds_account_limits)


def rejudge_after_stop_change(session: Session, user_id: uuid.UUID) -> bool:
    """Marks the trader's plan pending when one of its versions holds a rule that reads
    positions' stops (risk per trade, or a custom rule reading the stop, risk or R), after
    a default stop rule moved them; whether it did (then ask the judge)."""
    return _rejudge_when(session, user_id, reads_stops)


def _rejudge_when(
    session: Session, user_id: uuid.UUID, affected: Callable[[Iterable[VersionRules]], bool]
) -> bool:
    repository = PlanRepository(session, user_id)
    plan = repository.plan(for_update=True)
    if plan is None:
        return False
    if not affected(version_of(record) for record in repository.versions()):
        return False
    mark_pending(plan)
    session.flush()
    return True


def judge_plan(sessions: sessionmaker[Session], user_id: uuid.UUID) -> None:
    """Judges every day of the trader's history by their plan if it is pending, and marks
    it judged; a failure is logged and marks it failed, never raised."""
    try:
        _judge_plan(sessions, user_id)
    except Exception:
        logger.exception("judging the plan of a trader failed")
        with sessions() as session:
            session.execute(
                update(TradingPlanRecord)
                .where(
                    TradingPlanRecord.user_id == user_id,
                    TradingPlanRecord.evaluation == "pending",
                )
                .values(evaluation="failed")
            )
            session.commit()


def _judge_plan(sessions: sessionmaker[Session], user_id: uuid.UUID) -> None:
    with sessions() as session:
        repository = PlanRepository(session, user_id)
        plan = repository.plan()
        if plan is None or plan.evaluation != "pending":
            return
        started = plan.judging_round
        seen = _fingerprint(session, user_id)
        evaluation = judge(session, user_id, repository.versions(), None)
        session.commit()  # ends the reading transaction (SQLite: releases the write lock)
    with sessions() as session:
        session.execute(
            select(AccountRecord.id)
            .where(AccountRecord.user_id == user_id)
            .order_by(AccountRecord.id)
            .with_for_update()
        ).all()
        repository = PlanRepository(session, user_id)
        plan = repository.plan(for_update=True)
        if plan is None or plan.judging_round != started:
            return  # changed again: the newer round's judging stores its own result
        records = repository.versions()
        if _fingerprint(session, user_id) != seen:
            evaluation = judge(session, user_id, records, None)
        store_evaluation(session, repository, records, None, evaluation, None, announce=False)
        version = plan.current_version
        plan.evaluation = "judged"
        plan.judged_version = version
        record_event(
            session,
            "plan.updated.v1",
            PlanUpdated(user_id=user_id, plan_id=plan.id, version=version),
            None,
        )
        session.commit()
    logger.info("plan judged: version %s, %s violations", version, len(evaluation.findings))


def _fingerprint(session: Session, user_id: uuid.UUID) -> tuple[object, ...]:
    """Changes whenever a position or journal entry of the trader is written or removed."""
    positions = session.execute(
        select(func.count(PositionRecord.id), func.max(PositionRecord.updated_at)).where(
            PositionRecord.user_id == user_id
        )
    ).one()
    entries = session.execute(
        select(func.count(JournalEntryRecord.id), func.max(JournalEntryRecord.updated_at)).where(
            JournalEntryRecord.user_id == user_id
        )
    ).one()
    return (*positions, *entries)
