"""Benchmark: a 20-rule trading plan evaluated over an account's whole history.

Appends JSON lines to the file named by the first argument: the full evaluation (what a
plan change runs) at 1k, 10k and 100k positions, and the re-evaluation of one day (what
an import of that day runs) as a latency row, on SQLite and, when TEST_DATABASE_URL
answers, on PostgreSQL; then the same two with the 50k futures evaluation preset in force
(its trailing drawdown and consistency are judged over the whole history even for one
day). Sizes above --max-size are skipped.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import tempfile
import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from alembic import command
from run_bench import (
    PASSWORD,
    SIZES,
    postgres_answers,
    postgres_database,
    served_core,
    sqlite_database,
)
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session, sessionmaker
from tradeloop_contracts import TradingPlanUpdate

from core_api.accounts.models import AccountRecord
from core_api.cli import alembic_config
from core_api.db import make_engine, make_sessions
from core_api.executions.models import ExecutionRecord
from core_api.identity.models import UserRecord
from core_api.identity.passwords import hash_password
from core_api.plans.models import PlanVersionRecord, TradingPlanRecord
from core_api.plans.presets import PRESETS
from core_api.plans.service import evaluate_days, save_plan
from core_api.positions.models import PositionRecord

SYMBOLS = [f"S{index:02d}" for index in range(20)]
# A plan change is also timed against a served core from this many positions.
SERVED_FROM = 10_000
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]
RULES: list[dict[str, Any]] = [
    {"kind": "max_daily_loss", "amount": "500"},
    {"kind": "max_daily_loss", "amount": "1000"},
    {"kind": "max_trades_per_day", "count": 50},
    {"kind": "max_trades_per_day", "count": 80},
    {"kind": "max_position_size", "quantity": "80"},
    {"kind": "max_position_size", "notional": "20000", "asset_class": "stock"},
    {"kind": "max_position_size", "quantity": "5", "asset_class": "option"},
    {"kind": "max_risk_per_trade", "amount": "300"},
    {"kind": "trading_window", "weekdays": WEEKDAYS, "start": "09:30:00", "end": "16:00:00"},
    {"kind": "trading_window", "weekdays": WEEKDAYS, "exchange": "XNYS", "skip_first_minutes": 5},
    {"kind": "cooldown_after_loss", "minutes": 10},
    {"kind": "cooldown_after_loss", "minutes": 5},
    {"kind": "max_consecutive_losses", "count": 4},
    {"kind": "max_consecutive_losses", "count": 6},
    {"kind": "symbols", "blocked_symbols": ["S13"]},
    {"kind": "symbols", "allowed_asset_classes": ["stock", "option"]},
    {"kind": "journal_required", "hours": 48},
    {"kind": "custom", "expression": "position.holding_minutes < 240.0"},
    {
        "kind": "custom",
        "expression": "day.realised_pnl_before > -300.0 || position.quantity <= 20.0",
    },
    {"kind": "custom", "expression": 'position.symbol != "S07" || execution.hour >= 10'},
]
PLAN = TradingPlanUpdate.model_validate(
    {"rules": [{"name": f"rule {index}", "params": params} for index, params in enumerate(RULES)]}
)
PROP_FIRM = TradingPlanUpdate(rules=PRESETS.items[0].rules)


def seed(session: Session, size: int) -> uuid.UUID:
    """A trader with `size` closed positions over about four years of sessions, and the plan."""
    user = UserRecord(
        email=f"bench-{uuid.uuid4().hex[:8]}@example.com",
        password_hash="-",
        time_zone="America/New_York",
        base_currency="USD",
    )
    session.add(user)
    session.flush()
    account = AccountRecord(
        user_id=user.id,
        name="Main",
        broker="manual",
        base_currency="USD",
        time_zone="America/New_York",
        matching_method="fifo",
        breakeven_band=Decimal(0),
    )
    session.add(account)
    session.flush()
    rng = random.Random(size)
    executions: list[dict[str, Any]] = []
    positions: list[dict[str, Any]] = []
    day = dt.date(2022, 1, 3)
    per_day = max(1, size // 1000)
    while len(positions) < size:
        if day.weekday() < 5:
            opens = sorted(rng.randint(0, 420) for _ in range(per_day))
            for minute in opens[: size - len(positions)]:
                opened = dt.datetime(day.year, day.month, day.day, 14, 15, tzinfo=dt.UTC)
                opened += dt.timedelta(minutes=minute)
                held = dt.timedelta(minutes=rng.randint(1, 300))
                quantity = Decimal(rng.randint(1, 10) * 10)
                price = Decimal(rng.randint(5_000, 15_000)) / 100
                net = Decimal(rng.randint(-30_000, 30_000)) / 100
                execution_id = uuid.uuid4()
                symbol = rng.choice(SYMBOLS)
                executions.append(
                    {
                        "id": execution_id,
                        "user_id": user.id,
                        "account_id": account.id,
                        "broker_execution_id": f"e{len(executions)}",
                        "recorded_order": len(executions),
                        "executed_at": opened,
                        "asset_class": "stock",
                        "symbol": symbol,
                        "currency": "USD",
                        "multiplier": Decimal(1),
                        "side": "buy",
                        "quantity": quantity,
                        "price": price,
                        "commission": Decimal(1),
                        "fees": Decimal(0),
                        "kind": "trade",
                    }
                )
                positions.append(
                    {
                        "id": uuid.uuid4(),
                        "user_id": user.id,
                        "account_id": account.id,
                        "opening_execution_id": execution_id,
                        "asset_class": "stock",
                        "symbol": symbol,
                        "instrument": {"asset_class": "stock", "symbol": symbol},
                        "direction": "long",
                        "status": "closed",
                        "opened_at": opened,
                        "closed_at": opened + held,
                        "opened_day": day,
                        "closed_day": day,
                        "open_quantity": Decimal(0),
                        "max_quantity": quantity,
                        "avg_entry_price": price,
                        "avg_exit_price": price,
                        "realised_pnl_gross": net,
                        "fees": Decimal(1),
                        "realised_pnl_net": net,
                        "realised_pnl_net_base": net,
                        "currency": "USD",
                        "holding_seconds": int(held.total_seconds()),
                        "outcome": "win" if net > 0 else "loss" if net < 0 else "breakeven",
                        "execution_count": 2,
                        "initial_stop": price - Decimal(rng.randint(1, 5)),
                        "tags": [],
                    }
                )
        day += dt.timedelta(days=1)
    for start in range(0, size, 5000):
        session.execute(insert(ExecutionRecord), executions[start : start + 5000])
        session.execute(insert(PositionRecord), positions[start : start + 5000])
    save_plan(session, user.id, PLAN, None)
    version = session.scalars(
        select(PlanVersionRecord).where(PlanVersionRecord.user_id == user.id)
    ).one()
    version.effective_from = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    session.commit()
    return user.id


def run(url: str, backend: str, size: int, out: list[dict[str, Any]]) -> None:
    command.upgrade(alembic_config(url), "head")
    engine = make_engine(url)
    sessions: sessionmaker[Session] = make_sessions(engine)
    with sessions() as session:
        user_id = seed(session, size)
    repeats = 3 if size < 100_000 else 1
    timings = []
    for _ in range(repeats):
        with sessions() as session:
            started = time.perf_counter()
            evaluation = evaluate_days(session, user_id, None, None, announce=False)
            session.flush()
            timings.append(time.perf_counter() - started)
            session.rollback()
    print(f"  {len(evaluation.findings)} violations, faults: {evaluation.faults}")  # noqa: T201
    out.append(line(f"plan evaluation, 20 rules ({backend})", size, size, "positions", timings))
    with sessions() as session:
        evaluate_days(session, user_id, None, None)
        session.commit()
    latencies = []
    for offset in range(20):
        with sessions() as session:
            started = time.perf_counter()
            evaluate_days(session, user_id, {dt.date(2022, 3, 1) + dt.timedelta(offset)}, None)
            session.flush()
            latencies.append(time.perf_counter() - started)
            session.rollback()
    out.append(line(f"plan evaluation of one day ({backend})", size, 0, "days", latencies))
    run_prop_firm(sessions, user_id, backend, size, out)
    if size >= SERVED_FROM:
        with sessions() as session:
            email = session.scalars(select(UserRecord.email).where(UserRecord.id == user_id)).one()
            session.execute(
                update(UserRecord)
                .where(UserRecord.id == user_id)
                .values(password_hash=hash_password(PASSWORD))
            )
            # Judged above, so a served core starts without judging it again.
            session.execute(
                update(TradingPlanRecord)
                .where(TradingPlanRecord.user_id == user_id)
                .values(evaluation="judged", judged_version=TradingPlanRecord.current_version)
            )
            session.commit()
        served_plan_change(url, backend, size, email, out)
    engine.dispose()


def run_prop_firm(
    sessions: sessionmaker[Session],
    user_id: uuid.UUID,
    backend: str,
    size: int,
    out: list[dict[str, Any]],
) -> None:
    """The futures evaluation preset in force over the whole history: a full evaluation
    and one day's."""
    with sessions() as session:
        save_plan(session, user_id, PROP_FIRM, None)
        for version in session.scalars(
            select(PlanVersionRecord).where(PlanVersionRecord.user_id == user_id)
        ):
            version.effective_from = dt.datetime(2000, 1, version.version, tzinfo=dt.UTC)
        session.commit()
    timings = []
    for _ in range(3 if size < 100_000 else 1):
        with sessions() as session:
            started = time.perf_counter()
            evaluation = evaluate_days(session, user_id, None, None, announce=False)
            session.flush()
            timings.append(time.perf_counter() - started)
            session.rollback()
    print(f"  {len(evaluation.findings)} violations")  # noqa: T201
    out.append(
        line(f"plan evaluation, prop-firm preset ({backend})", size, size, "positions", timings)
    )
    with sessions() as session:
        evaluate_days(session, user_id, None, None)
        session.commit()
    latencies = []
    for offset in range(20):
        with sessions() as session:
            started = time.perf_counter()
            evaluate_days(session, user_id, {dt.date(2022, 3, 1) + dt.timedelta(offset)}, None)
            session.flush()
            latencies.append(time.perf_counter() - started)
            session.rollback()
    out.append(line(f"prop-firm preset, one day ({backend})", size, 0, "days", latencies))


def served_plan_change(
    url: str, backend: str, size: int, email: str, out: list[dict[str, Any]]
) -> None:
    """`PUT /v1/plan` to a served core: its answer, the judging after it (until `GET /v1/plan`
    says judged), and /healthz polled every 20 ms meanwhile."""
    with tempfile.TemporaryDirectory() as data, served_core(url, Path(data)) as base:
        with httpx.Client(base_url=base, timeout=600) as client:
            tokens = client.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
            headers = {"Authorization": f"Bearer {tokens.json()['access_token']}"}
            health: list[float] = []
            done = threading.Event()

            def poll() -> None:
                with httpx.Client(base_url=base, timeout=30) as poller:
                    while not done.is_set():
                        started = time.perf_counter()
                        poller.get("/healthz").raise_for_status()
                        health.append(time.perf_counter() - started)
                        done.wait(0.02)

            poller = threading.Thread(target=poll)
            poller.start()
            try:
                # The first change after a start also loads the XNYS calendar (pandas) and
                # compiles the CEL rules; the second one is what a change costs after that.
                answers: list[float] = []
                judgings: list[float] = []
                for _ in range(2):
                    started = time.perf_counter()
                    answer = client.put(
                        "/v1/plan", json=PLAN.model_dump(mode="json"), headers=headers
                    )
                    answers.append(time.perf_counter() - started)
                    assert answer.status_code == 200
                    assert answer.json()["evaluation"] == "pending"
                    while client.get("/v1/plan", headers=headers).json()["evaluation"] == "pending":
                        time.sleep(0.2)
                    judgings.append(time.perf_counter() - started)
                    assert client.get("/v1/plan", headers=headers).json()["evaluation"] == "judged"
            finally:
                done.set()
                poller.join()
    first, warm = answers
    out.append(line(f"PUT /v1/plan first answer, served ({backend})", size, 0, "-", [first]))
    out.append(line(f"PUT /v1/plan answer, served ({backend})", size, 0, "-", [warm]))
    out.append(
        line(f"plan judged after PUT, served ({backend})", size, size, "positions", judgings)
    )
    ordered = sorted(health)
    for label, quantile in (("p50", 0.50), ("p99", 0.99)):
        value = ordered[min(len(ordered) - 1, int(quantile * len(ordered)))]
        out.append(
            line(f"/healthz {label} during judging ({backend})", size, 1, "requests", [value])
        )


def line(workload: str, size: int, items: int, unit: str, seconds: list[float]) -> dict[str, Any]:
    print(f"{workload:45} size {size:>7}: median {statistics.median(seconds):.4f}s")  # noqa: T201
    return {"workload": workload, "size": size, "items": items, "unit": unit, "seconds": seconds}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--max-size", type=int, default=100_000)
    parser.add_argument(
        "--backend", choices=["sqlite", "postgresql"], action="append", help="default: both"
    )
    args = parser.parse_args()
    wanted = set(args.backend or ["sqlite", "postgresql"])
    backends = [("sqlite", sqlite_database)] if "sqlite" in wanted else []
    if "postgresql" in wanted and postgres_answers():
        backends.append(("postgresql", postgres_database))
    lines: list[dict[str, Any]] = []
    for backend, database in backends:
        for size in SIZES:
            if size <= args.max_size:
                with database() as url:
                    run(url, backend, size, lines)
    with args.out.open("a") as file:
        for entry in lines:
            file.write(json.dumps(entry) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
