from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
from obstore.store import LocalStore
from tradeloop_contracts import PositionDetail

from tests.market_data.factories import AAPL, ES, closed_position
from workers.market_data.demo import demo_bars, write_demo_bars
from workers.market_data.enrichment import enrich
from workers.market_data.sources import FileBars

pytestmark = pytest.mark.anyio
NEW_YORK_OPEN = dt.datetime(2026, 3, 2, 14, 30, tzinfo=dt.UTC)


def demo_like_positions(count: int) -> list[PositionDetail]:
    """Day trades like the demo trader's: stocks and futures, scale-ins, a few days."""
    rng = random.Random(7)
    positions = []
    for n in range(count):
        instrument, base, tick = (
            (ES, 5900, Decimal("0.25")) if n % 3 == 0 else (AAPL, 228, Decimal("0.01"))
        )
        opened = NEW_YORK_OPEN + dt.timedelta(
            days=n % 4, minutes=rng.randint(0, 300), seconds=rng.randint(0, 59)
        )
        entry = Decimal(round(base * (1 + rng.uniform(-0.02, 0.02)) / float(tick))) * tick
        exit_price = entry + tick * rng.randint(-40, 40)
        side, other = ("buy", "sell") if rng.random() < 0.7 else ("sell", "buy")
        fills = [(opened, side, "2", str(entry))]
        if rng.random() < 0.4:
            fills.append(
                (opened + dt.timedelta(minutes=rng.randint(1, 10)), side, "1", str(entry + tick))
            )
        closed = fills[-1][0] + dt.timedelta(minutes=rng.randint(2, 90))
        fills.append((closed, other, str(2 + len(fills) - 1), str(exit_price)))
        positions.append(closed_position(fills, instrument))
    return positions


class TestDemoBars:
    def test_every_fill_lies_inside_its_bar_and_the_bars_are_consistent(self) -> None:
        positions = demo_like_positions(30)
        generated = demo_bars(e for p in positions for e in p.executions)
        for position in positions:
            bars = {bar.time: bar for bar in generated[position.instrument.symbol]}
            for execution in position.executions:
                bar = bars[execution.executed_at.replace(second=0, microsecond=0)]
                assert bar.low <= execution.price <= bar.high
        for series in generated.values():
            for bar in series:
                assert bar.low <= min(bar.open, bar.close) <= max(bar.open, bar.close) <= bar.high
                assert bar.low > 0
            times = [bar.time for bar in series]
            assert times == sorted(set(times))

    def test_the_same_fills_give_the_same_bars(self) -> None:
        positions = demo_like_positions(5)
        executions = [e for p in positions for e in p.executions]
        assert demo_bars(executions) == demo_bars(list(reversed(executions)))

    async def test_every_demo_position_gets_known_excursions(
        self, object_store: LocalStore
    ) -> None:
        positions = demo_like_positions(12)
        assert await write_demo_bars(object_store, positions) > 0
        source = FileBars(object_store)
        for position in positions:
            assert position.closed_at is not None
            bars = await source.bars(
                position.instrument,
                "1m",
                position.opened_at - dt.timedelta(hours=1),
                position.closed_at + dt.timedelta(hours=1),
            )
            found = enrich(position, bars, "1m").excursions
            assert found is not None
            assert found.mae <= min(position.realised_pnl_gross, Decimal(0))
            assert found.mfe >= max(position.realised_pnl_gross, Decimal(0))
