"""Rematching from the earliest new fill gives exactly what rematching everything gives."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session
from tradeloop_contracts import ExecutionBatch

from core_api.accounts.models import AccountRecord
from core_api.executions.service import record_batch
from core_api.positions.models import PositionFillRecord, PositionRecord
from core_api.positions.service import InstrumentKey, rematch
from core_api.statistics.models import DailyAccountPnlRecord, DailyPnlRecord
from tests.conftest import Trader

T0 = dt.datetime(2026, 3, 2, 14, 30, tzinfo=dt.UTC)
SYMBOLS = ("AAPL", "MSFT")


@st.composite
def histories(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Fills in two symbols over a few days: shorts, flips, partial closes, same-minute ties."""
    count = draw(st.integers(min_value=1, max_value=30))
    return [
        {
            "broker_execution_id": f"x{index:03d}",
            # Minutes over three days: positions close on several trading days, often at once.
            "executed_at": (
                T0 + dt.timedelta(minutes=draw(st.integers(0, 3 * 24 * 60)) // 97 * 97)
            ).isoformat(),
            "instrument": {"asset_class": "stock", "symbol": draw(st.sampled_from(SYMBOLS))},
            "side": draw(st.sampled_from(["buy", "sell"])),
            "quantity": str(Decimal(draw(st.integers(1, 6))) / 2),
            "price": str(Decimal(draw(st.integers(900, 1100))) / 100),
            "commission": str(Decimal(draw(st.integers(0, 7))) / 10),
        }
        for index in range(count)
    ]


def new_account(session: Session, trader: Trader, method: str) -> AccountRecord:
    account = AccountRecord(
        user_id=trader.id,
        name=f"prop {uuid.uuid4().hex[:6]}",
        broker="generic",
        base_currency="USD",
        time_zone="America/New_York",
        matching_method=method,
        breakeven_band=Decimal("0.5"),
    )
    session.add(account)
    session.flush()
    return account


def post(session: Session, account: AccountRecord, fills: list[dict[str, Any]]) -> int:
    batch = ExecutionBatch.model_validate({"account_id": account.id, "executions": fills})
    return record_batch(session, account.user_id, batch, None).inserted


def positions_of(session: Session, account: AccountRecord) -> list[PositionRecord]:
    return list(
        session.scalars(select(PositionRecord).where(PositionRecord.account_id == account.id))
    )


def state(session: Session, account: AccountRecord) -> tuple[list[Any], ...]:
    """Positions (with ids), their fill shares and the daily rows of the account."""
    positions = positions_of(session, account)
    ids = [p.id for p in positions]
    shares = session.execute(
        select(
            PositionFillRecord.position_id,
            PositionFillRecord.execution_id,
            PositionFillRecord.quantity,
        ).where(PositionFillRecord.position_id.in_(ids))
    ).all()
    days = session.scalars(
        select(DailyPnlRecord).where(DailyPnlRecord.account_id == account.id)
    ).all()
    account_days = session.scalars(
        select(DailyAccountPnlRecord).where(DailyAccountPnlRecord.account_id == account.id)
    ).all()
    return (
        sorted(
            (
                str(p.id),
                p.symbol,
                p.status,
                p.opened_at,
                p.closed_at,
                p.closed_day,
                p.open_quantity,
                p.max_quantity,
                p.avg_entry_price,
                p.avg_exit_price,
                p.realised_pnl_gross,
                p.fees,
                p.realised_pnl_net,
                p.outcome,
                p.execution_count,
            )
            for p in positions
        ),
        sorted((str(p), str(e), q) for p, e, q in shares),
        sorted(
            (d.symbol, d.day, d.trades, d.wins, d.losses, d.net, d.gross, d.fees, d.win_total)
            for d in days
        ),
        sorted((d.day, d.trades, d.wins, d.losses, d.net, d.loss_total) for d in account_days),
    )


class TestIncrementalRematch:
    @settings(
        max_examples=25,
        deadline=None,
        # Every example works in its own new account inside the test's transaction.
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(
        histories(),
        st.lists(st.integers(0, 30), max_size=4),
        st.randoms(use_true_random=False),
        st.sampled_from(["fifo", "lifo", "average"]),
    )
    def test_batches_in_any_order_equal_a_full_rematch(
        self,
        session: Session,
        trader: Trader,
        fills: list[dict[str, Any]],
        cuts: list[int],
        rng: Any,
        method: str,
    ) -> None:
        bounds = sorted({0, len(fills), *(min(cut, len(fills)) for cut in cuts)})
        batches = [fills[start:end] for start, end in zip(bounds, bounds[1:], strict=False)]
        rng.shuffle(batches)
        account = new_account(session, trader, method)
        for batch in batches:
            post(session, account, batch)
        incremental = state(session, account)

        assert post(session, account, fills) == 0
        assert state(session, account) == incremental
        rematch(session, account, [InstrumentKey("stock", symbol) for symbol in SYMBOLS], None)
        assert state(session, account) == incremental

    def test_an_older_fill_arriving_late_reopens_only_what_follows_it(
        self, session: Session, trader: Trader
    ) -> None:
        account = new_account(session, trader, "fifo")

        def fill(broker_id: str, side: str, quantity: str, minute: int) -> dict[str, Any]:
            at = T0 + dt.timedelta(minutes=minute)
            return {
                "broker_execution_id": broker_id,
                "executed_at": at.isoformat(),
                "instrument": {"asset_class": "stock", "symbol": "AAPL"},
                "side": side,
                "quantity": quantity,
                "price": "10",
            }

        post(session, account, [fill("a", "buy", "1", 0), fill("b", "sell", "1", 5)])
        post(session, account, [fill("c", "buy", "2", 10), fill("d", "sell", "3", 20)])
        before = {p.opened_at: (p.id, p.status) for p in positions_of(session, account)}
        # A sell at minute 15 makes the minute-20 sell flip to a short instead.
        post(session, account, [fill("late", "sell", "2", 15)])
        after = {
            p.opened_at: (p.id, p.status, p.open_quantity) for p in positions_of(session, account)
        }
        assert after[T0][:2] == before[T0]
        assert after[T0 + dt.timedelta(minutes=10)][1:] == ("closed", Decimal(0))
        assert after[T0 + dt.timedelta(minutes=20)][1:] == ("open", Decimal(-3))

    def test_a_batch_rewrites_only_its_own_account_and_instruments(
        self, session: Session, trader: Trader
    ) -> None:
        account = new_account(session, trader, "fifo")
        other = new_account(session, trader, "fifo")

        def fill(broker_id: str, symbol: str, side: str, minute: int) -> dict[str, Any]:
            return {
                "broker_execution_id": broker_id,
                "executed_at": (T0 + dt.timedelta(minutes=minute)).isoformat(),
                "instrument": {"asset_class": "stock", "symbol": symbol},
                "side": side,
                "quantity": "1",
                "price": "10",
            }

        post(session, account, [fill("m1", "MSFT", "buy", 0), fill("a1", "AAPL", "buy", 1)])
        post(session, other, [fill("o1", "AAPL", "buy", 0)])
        post(session, account, [fill("m2", "MSFT", "buy", 2)])
        untouched = positions_of(session, other) + [
            p for p in positions_of(session, account) if p.symbol == "MSFT"
        ]
        before = {p.id: (p.updated_at, p.status, p.max_quantity) for p in untouched}

        post(session, account, [fill("a2", "AAPL", "sell", 3)])
        session.expire_all()  # read from the database, not the session's copies

        assert {p.id: (p.updated_at, p.status, p.max_quantity) for p in untouched} == before
        [aapl] = [p for p in positions_of(session, account) if p.symbol == "AAPL"]
        assert aapl.status == "closed"
