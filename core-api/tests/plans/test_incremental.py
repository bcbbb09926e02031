"""Evaluating each import's days gives what a full evaluation gives, whatever the trades."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session
from tradeloop_contracts import ExecutionBatch, TradingPlanUpdate

from core_api.accounts.models import AccountRecord, CashMovementRecord
from core_api.executions.service import record_batch
from core_api.identity.models import UserRecord
from core_api.plans.models import PlanVersionRecord, ViolationRecord
from core_api.plans.service import evaluate_days, save_plan
from tests.conftest import execution

START = dt.datetime(2026, 3, 6, 13, 0, tzinfo=dt.UTC)  # a Friday before a DST change
PLAN = TradingPlanUpdate.model_validate(
    {
        "rules": [
            {"name": "trades", "params": {"kind": "max_trades_per_day", "count": 2}},
            {"name": "loss", "params": {"kind": "max_daily_loss", "amount": "40"}},
            {"name": "loss %", "params": {"kind": "max_daily_loss", "percent_of_account": "2"}},
            {"name": "loss R", "params": {"kind": "max_daily_loss", "r_multiple": "1.5"}},
            {"name": "risk %", "params": {"kind": "max_risk_per_trade", "percent_of_account": "1"}},
            {"name": "cooldown", "params": {"kind": "cooldown_after_loss", "minutes": 90}},
            {"name": "streak", "params": {"kind": "max_consecutive_losses", "count": 2}},
            {"name": "size", "params": {"kind": "max_position_size", "quantity": "4"}},
            {
                "name": "hours",
                "params": {
                    "kind": "trading_window",
                    "weekdays": ["mon", "tue", "wed", "thu", "fri"],
                    "start": "09:30:00",
                    "end": "16:00:00",
                },
            },
            {
                "name": "custom",
                "params": {"kind": "custom", "expression": "day.realised_pnl_before > -30.0"},
            },
        ]
    }
)

# The prop-firm kinds, judged over each account's history, next to day rules.
PROP_FIRM_PLAN = TradingPlanUpdate.model_validate(
    {
        "rules": [
            {"name": "loss", "params": {"kind": "max_daily_loss", "amount": "40"}},
            {
                "name": "eod",
                "params": {"kind": "trailing_drawdown", "amount": "30", "basis": "end_of_day"},
            },
            {
                "name": "intraday",
                "params": {
                    "kind": "trailing_drawdown",
                    "amount": "25",
                    "basis": "intraday",
                    "lock_at": "10",
                },
            },
            {
                "name": "consistency",
                "params": {"kind": "consistency", "max_day_share_percent": "40"},
            },
            {"name": "days", "params": {"kind": "min_trading_days", "count": 3}},
            {"name": "contracts", "params": {"kind": "max_open_contracts", "count": "6"}},
        ]
    }
)

trade = st.tuples(
    st.integers(0, 5 * 24 * 4),  # opens on a quarter hour within five days
    st.integers(1, 16),  # held this many quarter hours
    st.integers(1, 6),  # quantity
    st.integers(-15, 15),  # P&L per share
    st.sampled_from(["AAPL", "MSFT"]),
)


def fills_of(trades: list[tuple[int, int, int, int, str]]) -> list[dict[str, Any]]:
    fills = []
    for index, (start, held, quantity, pnl, symbol) in enumerate(trades):
        opened = START + dt.timedelta(minutes=15 * start)
        closed = opened + dt.timedelta(minutes=15 * held)
        fills.append(
            execution(f"t{index}-in", "buy", str(quantity), "100", opened.isoformat(), symbol)
        )
        fills.append(
            execution(
                f"t{index}-out", "sell", str(quantity), str(100 + pnl), closed.isoformat(), symbol
            )
        )
    return fills


def new_trader(session: Session) -> tuple[uuid.UUID, uuid.UUID]:
    user = UserRecord(
        email=f"{uuid.uuid4().hex}@example.com",
        password_hash="not-a-hash",
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
        starting_balance=Decimal(2000),
        risk_unit=Decimal(20),
    )
    session.add(account)
    session.flush()
    # A deposit in the middle of the trades moves every later percentage.
    session.add(
        CashMovementRecord(
            account_id=account.id, occurred_at=START + dt.timedelta(days=2), amount=Decimal(500)
        )
    )
    session.flush()
    return user.id, account.id


def snapshot(session: Session, user_id: uuid.UUID) -> list[tuple[Any, ...]]:
    return sorted(
        (v.key, v.rule_kind, v.plan_version, v.observed, v.allowed, v.cost, v.day)
        for v in session.scalars(select(ViolationRecord).where(ViolationRecord.user_id == user_id))
    )


class TestIncrementalEvaluation:
    @settings(
        max_examples=8,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        trades=st.lists(trade, min_size=1, max_size=14),
        cuts=st.lists(st.integers(0, 28), max_size=3),
    )
    @pytest.mark.parametrize("plan", [PLAN, PROP_FIRM_PLAN], ids=["day-rules", "prop-firm"])
    def test_import_by_import_equals_a_full_evaluation(
        self,
        session: Session,
        plan: TradingPlanUpdate,
        trades: list[tuple[int, int, int, int, str]],
        cuts: list[int],
    ) -> None:
        user_id, account_id = new_trader(session)
        save_plan(session, user_id, plan, None)
        for version in session.scalars(
            select(PlanVersionRecord).where(PlanVersionRecord.user_id == user_id)
        ):
            version.effective_from = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
        fills = fills_of(trades)
        # Batches in any order: later imports may bring fills that land before earlier ones.
        bounds = sorted({0, len(fills), *(min(cut, len(fills)) for cut in cuts)})
        for low, high in reversed(list(zip(bounds, bounds[1:], strict=False))):
            batch = ExecutionBatch.model_validate(
                {"account_id": account_id, "executions": fills[low:high]}
            )
            record_batch(session, user_id, batch, None)
        incremental = snapshot(session, user_id)
        evaluate_days(session, user_id, None, None)
        assert snapshot(session, user_id) == incremental
