"""A plan change judged after the response: pending, judged, failed, coalesced, resumed."""

from __future__ import annotations

import datetime as dt
import functools
import logging
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tradeloop_contracts import TradingPlanUpdate

from core_api.kit.offload import Offload
from core_api.plans import judging, service
from core_api.plans.judging import BackgroundThread, PlanJudge, judge_plan
from core_api.plans.models import TradingPlanRecord
from core_api.plans.service import save_plan
from tests.conftest import Inline, Trader, make_trader
from tests.executions.test_endpoints import post_batch
from tests.imports.test_settle import served_by_a_work_process
from tests.plans.test_endpoints import MAX_ONE_TRADE, MONDAY, backdate_plan, put_plan, round_trip

TWO_PERCENT = {
    "name": "Two percent",
    "params": {"kind": "max_daily_loss", "percent_of_account": "2"},
}


def plan_state(session: Session, user_id: uuid.UUID) -> tuple[str, int | None, int]:
    session.expire_all()
    plan = session.scalars(
        select(TradingPlanRecord).where(TradingPlanRecord.user_id == user_id)
    ).one()
    return plan.evaluation, plan.judged_version, plan.current_version


def violations(client: TestClient, trader: Trader) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = client.get("/v1/violations", headers=trader.headers).json()[
        "items"
    ]
    return items


class TestJudgingAfterTheResponse:
    def test_the_answer_is_pending_and_the_next_read_sees_the_judged_trades(
        self, client: TestClient, workers: dict[str, str], trader: Trader, session: Session
    ) -> None:
        put_plan(client, trader, [MAX_ONE_TRADE])
        post_batch(
            client,
            workers,
            trader,
            round_trip("a", MONDAY, 1) + round_trip("b", MONDAY + dt.timedelta(hours=1), 1),
        )
        backdate_plan(session, trader)
        answer = put_plan(client, trader, [MAX_ONE_TRADE])
        assert (answer["version"], answer["evaluation"], answer["judged_version"]) == (
            2,
            "pending",
            1,
        )
        plan = client.get("/v1/plan", headers=trader.headers).json()
        assert (plan["evaluation"], plan["judged_version"]) == ("judged", 2)
        assert len(violations(client, trader)) == 1

    def test_a_failed_judging_is_logged_and_shown_without_its_trace(
        self,
        client: TestClient,
        trader: Trader,
        monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        def broken(*_: object, **__: object) -> None:
            raise RuntimeError("disk on fire")

        monkeypatch.setattr(judging, "judge", broken)
        with caplog.at_level(logging.ERROR, logger="core_api.plans.judging"):
            answer = put_plan(client, trader, [MAX_ONE_TRADE])
        assert answer["evaluation"] == "pending"
        response = client.get("/v1/plan", headers=trader.headers)
        assert response.status_code == 200
        assert (response.json()["evaluation"], response.json()["judged_version"]) == (
            "failed",
            None,
        )
        assert "disk on fire" not in response.text
        assert any("judging the plan" in record.message for record in caplog.records)

    def test_a_change_during_a_judging_leaves_it_to_the_latest_version(
        self,
        sessions: sessionmaker[Session],
        session: Session,
        trader: Trader,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        first = TradingPlanUpdate.model_validate({"rules": [MAX_ONE_TRADE]})
        with sessions() as writer:
            save_plan(writer, trader.id, first, None)
            writer.commit()
        judge = service.judge

        def judged_while_changed(*args: Any, **kwargs: Any) -> Any:
            with sessions() as writer:  # a second change commits while the first is judged
                save_plan(writer, trader.id, first, None)
                writer.commit()
            monkeypatch.setattr(judging, "judge", judge)
            return judge(*args, **kwargs)

        monkeypatch.setattr(judging, "judge", judged_while_changed)
        judge_plan(sessions, trader.id)
        assert plan_state(session, trader.id) == ("pending", None, 2)
        judge_plan(sessions, trader.id)
        assert plan_state(session, trader.id) == ("judged", 2, 2)

    def test_a_plan_left_pending_is_judged_when_core_starts(
        self, sessions: sessionmaker[Session], session: Session, trader: Trader
    ) -> None:
        with sessions() as writer:
            save_plan(writer, trader.id, TradingPlanUpdate(rules=[]), None)
            writer.commit()
        assert plan_state(session, trader.id) == ("pending", None, 1)
        PlanJudge(sessions, here(sessions), Inline()).resume()
        assert plan_state(session, trader.id) == ("judged", 1, 1)


class TestAccountChanges:
    def test_a_balance_change_rejudges_a_plan_with_a_limit_in_percent(
        self, client: TestClient, workers: dict[str, str], trader: Trader, session: Session
    ) -> None:
        put_plan(client, trader, [TWO_PERCENT])
        backdate_plan(session, trader)
        post_batch(client, workers, trader, round_trip("a", MONDAY, -30))  # -300 on the day
        assert violations(client, trader) == []  # no starting balance: not judged
        path = f"/v1/accounts/{trader.account_id}"
        client.patch(path, json={"starting_balance": "10000"}, headers=trader.headers)
        [violation] = violations(client, trader)
        assert violation["allowed"] == "loss up to 200 (2% of 10000)"
        deposit = {"occurred_at": "2026-03-01T00:00:00Z", "amount": "5000"}
        client.post(f"{path}/cash-movements", json=deposit, headers=trader.headers)
        assert violations(client, trader) == []  # 2% of 15,000 is 300: exactly at the limit

    def test_a_plan_without_such_limits_is_left_as_judged(
        self, client: TestClient, trader: Trader, session: Session
    ) -> None:
        put_plan(client, trader, [MAX_ONE_TRADE])
        before = plan_state(session, trader.id)
        path = f"/v1/accounts/{trader.account_id}"
        client.patch(path, json={"starting_balance": "10000"}, headers=trader.headers)
        assert plan_state(session, trader.id) == before == ("judged", 1, 1)


def here(sessions: sessionmaker[Session]) -> Offload:
    """Work run on these sessions in this process, as the app's tests run it."""
    return Offload(sessions, "", processes=0, log_level="INFO")


class TestInAWorkProcess:
    def test_a_plan_change_is_judged_by_a_work_process(self, tmp_path: Path) -> None:
        with served_by_a_work_process("sqlite", tmp_path) as client:
            trader = make_trader(client)
            answer = client.put("/v1/plan", json={"rules": [MAX_ONE_TRADE]}, headers=trader.headers)
            assert answer.json()["evaluation"] == "pending"
            deadline = time.monotonic() + 60
            while (plan := client.get("/v1/plan", headers=trader.headers).json())[
                "evaluation"
            ] == "pending":
                assert time.monotonic() < deadline, "the judging did not end"
                time.sleep(0.05)
            assert (plan["evaluation"], plan["judged_version"]) == ("judged", 1)


def remember(seen: list[tuple[int, str]], number: int) -> None:
    seen.append((number, threading.current_thread().name))


class Recording:
    def __init__(self) -> None:
        self.jobs: list[Callable[[], None]] = []

    def submit(self, job: Callable[[], None]) -> None:
        self.jobs.append(job)


class TestPlanJudge:
    def test_a_trader_asked_for_twice_before_the_judging_starts_is_judged_once(
        self, sessions: sessionmaker[Session]
    ) -> None:
        worker = Recording()
        judge = PlanJudge(sessions, here(sessions), worker)
        someone = uuid.uuid4()
        judge.request(someone)
        judge.request(someone)
        assert len(worker.jobs) == 1
        worker.jobs[0]()  # starts: a request from now on is judged again afterwards
        judge.request(someone)
        assert len(worker.jobs) == 2

    def test_the_background_thread_runs_jobs_off_the_callers_thread_in_order(self) -> None:
        worker = BackgroundThread()
        seen: list[tuple[int, str]] = []
        for number in range(3):
            worker.submit(functools.partial(remember, seen, number))
        worker.join()
        assert seen == [(0, "plan-judge"), (1, "plan-judge"), (2, "plan-judge")]
