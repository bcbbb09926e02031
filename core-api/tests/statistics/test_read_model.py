from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select
from sqlalchemy.orm import Session
from tradeloop_contracts import Statistics

from core_api.positions.models import PositionRecord
from core_api.positions.service import r_multiple
from core_api.statistics.calculations import ClosedTrade, compute
from core_api.statistics.models import DailyAccountPnlRecord, DailyPnlRecord
from core_api.statistics.read_model import refresh_daily_pnl
from tests.conftest import Trader, execution
from tests.executions.test_endpoints import post_batch

START = dt.datetime(2026, 3, 2, 14, 30, tzinfo=dt.UTC)


def random_stream(seed: int, count: int = 60) -> list[dict[str, Any]]:
    """Round trips in three symbols over two weeks, long and short, with costs."""
    rng = random.Random(seed)
    fills = []
    for index in range(count):
        opened = START + dt.timedelta(hours=rng.randrange(0, 14 * 24))
        closed = opened + dt.timedelta(minutes=rng.randint(1, 600))
        side, other = rng.choice([("buy", "sell"), ("sell", "buy")])
        quantity = str(rng.randint(1, 5))
        symbol = rng.choice(["AAPL", "MSFT", "NVDA"])
        for leg, (at, leg_side) in enumerate(((opened, side), (closed, other))):
            fills.append(
                execution(
                    f"f{index}-{leg}",
                    leg_side,
                    quantity,
                    f"{rng.randint(9000, 11000) / 100:.2f}",
                    at.isoformat(),
                    symbol,
                    commission=f"{rng.randint(0, 150) / 100:.2f}",
                )
            )
    return fills


def snapshot(session: Session, trader: Trader) -> list[tuple[Any, ...]]:
    rows = session.scalars(select(DailyPnlRecord).where(DailyPnlRecord.user_id == trader.id)).all()
    return sorted(
        (
            r.symbol,
            r.day,
            r.trades,
            r.wins,
            r.losses,
            r.net,
            r.gross,
            r.fees,
            r.win_total,
            r.loss_total,
        )
        for r in rows
    )


class TestDailyPnlReadModel:
    def test_incremental_updates_equal_a_full_rebuild(
        self, client: TestClient, workers: dict[str, str], trader: Trader, session: Session
    ) -> None:
        fills = random_stream(7)
        shuffled = random.Random(3).sample(fills, len(fills))
        for start in range(0, len(shuffled), 17):
            post_batch(client, workers, trader, shuffled[start : start + 17])
        incremental = snapshot(session, trader)
        refresh_daily_pnl(
            session,
            trader.id,
            trader.account_id,
            {("stock", symbol): None for symbol in ("AAPL", "MSFT", "NVDA")},
        )
        assert incremental == snapshot(session, trader)
        assert incremental

    def test_account_days_are_the_sums_of_the_instrument_days(
        self, client: TestClient, workers: dict[str, str], trader: Trader, session: Session
    ) -> None:
        fills = random_stream(5)
        for start in range(0, len(fills), 23):
            post_batch(client, workers, trader, fills[start : start + 23])
        expected: dict[dt.date, list[Any]] = {}
        for row in session.scalars(
            select(DailyPnlRecord).where(DailyPnlRecord.user_id == trader.id)
        ):
            sums = expected.setdefault(row.day, [0, 0, 0, Decimal(0), Decimal(0), Decimal(0)])
            for index, value in enumerate(
                (row.trades, row.wins, row.losses, row.net, row.win_total, row.loss_total)
            ):
                sums[index] += value
        account_days = {
            row.day: [row.trades, row.wins, row.losses, row.net, row.win_total, row.loss_total]
            for row in session.scalars(
                select(DailyAccountPnlRecord).where(DailyAccountPnlRecord.user_id == trader.id)
            )
        }
        assert account_days == expected
        assert len(account_days) > 3

    def test_statistics_from_the_table_equal_statistics_from_every_position(
        self, client: TestClient, workers: dict[str, str], trader: Trader, session: Session
    ) -> None:
        post_batch(client, workers, trader, random_stream(11))
        stopped = session.scalars(
            select(PositionRecord)
            .where(PositionRecord.user_id == trader.id, PositionRecord.status == "closed")
            .order_by(PositionRecord.id)
        ).all()[::2]
        for index, position in enumerate(stopped):
            # Below the entry, some exactly at it (no risk, so no R).
            stop = position.avg_entry_price - Decimal(index % 3)
            response = client.patch(
                f"/v1/positions/{position.id}",
                json={"initial_stop": str(stop)},
                headers=trader.headers,
            )
            assert response.status_code == 200, response.text
        session.expire_all()
        closed = session.scalars(
            select(PositionRecord)
            .where(PositionRecord.user_id == trader.id, PositionRecord.status == "closed")
            .order_by(PositionRecord.closed_at)
        ).all()
        trades = [
            ClosedTrade(
                day=p.closed_day,  # type: ignore[arg-type]
                net=p.realised_pnl_net,
                gross=p.realised_pnl_gross,
                fees=p.fees,
                outcome=p.outcome,  # type: ignore[arg-type]
                r=r_multiple(p),
            )
            for p in closed
            if dt.date(2026, 3, 4) <= p.closed_day <= dt.date(2026, 3, 11)  # type: ignore[operator]
        ]
        expected = compute(trades, "USD", dt.date(2026, 3, 4), dt.date(2026, 3, 11))
        response = client.get(
            "/v1/statistics?start=2026-03-04&end=2026-03-11", headers=trader.headers
        )
        # Equal as numbers: stored amounts come back without trailing zeros.
        assert Statistics.model_validate(response.json()) == expected
        assert expected.trades > 5
        assert expected.trades_with_r
        assert expected.trades_with_r < expected.trades

    # SQLite alone: it chooses its plans without statistics, PostgreSQL by its own.
    @pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
    def test_a_refresh_reads_positions_by_instrument(
        self, client: TestClient, workers: dict[str, str], trader: Trader, session: Session
    ) -> None:
        """Every statement of a refresh reaching the positions looks each instrument up in
        the instrument index; a plan walking another index would test every position
        against every instrument (minutes for an import of 100,000 fills)."""
        post_batch(client, workers, trader, random_stream(7))
        connection = session.connection()
        statements: list[tuple[str, Any]] = []

        def keep(*args: Any) -> None:
            statements.append((args[2], args[3]))

        event.listen(connection, "before_cursor_execute", keep)
        try:
            refresh_daily_pnl(
                session,
                trader.id,
                trader.account_id,
                {("stock", symbol): None for symbol in ("AAPL", "MSFT", "NVDA")},
            )
        finally:
            event.remove(connection, "before_cursor_execute", keep)
        reads = [(sql, params) for sql, params in statements if "JOIN positions" in sql]
        assert reads
        for sql, params in reads:
            plan = [
                row[3] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params)
            ]
            assert any("ix_positions_account_instrument_closed" in step for step in plan), plan
