from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from decimal import Decimal
from pathlib import Path

import obstore
from tradeloop_contracts import PositionClosed, make_event
from tradeloop_contracts.bus import open_bus

from tests.market_data.factories import closed_position, minute_bars
from tests.processes import running_workers, start_worker, wait_until, worker_environment
from tests.stub_core import StubCore
from workers.imports.storage import open_object_store
from workers.market_data.bars import bars_to_csv
from workers.market_data.sources import file_key

T0 = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)


class TestPositionConsumer:
    def test_a_closed_position_is_enriched_by_the_running_worker(
        self, stub_core: StubCore, tmp_path: Path
    ) -> None:
        # The embedded bus only: the consumer is the import consumer's code on both buses.
        bus_url = f"sqlite:///{tmp_path}/bus.db"
        user = uuid.uuid4()
        position = closed_position(
            [
                (T0 + dt.timedelta(seconds=10), "buy", "100", "50.00"),
                (T0 + dt.timedelta(minutes=5, seconds=10), "sell", "100", "50.60"),
            ]
        )
        stub_core.add_position(user, position)
        closes = ["50"] * 31 + ["49.80", "50.20", "50.90", "50.40", "50.60"] + ["50.6"] * 30
        bars = minute_bars(T0 - dt.timedelta(minutes=30), closes, spread="0.10")
        store = open_object_store((tmp_path / "objects").as_uri())
        obstore.put(store, file_key("AAPL", "1m"), bars_to_csv(bars))
        event = make_event(
            "position.closed.v1",
            PositionClosed(
                user_id=user,
                position_id=position.id,
                account_id=position.account_id,
                symbol="AAPL",
                realised_pnl_net=Decimal(58),
                currency="USD",
                outcome="win",
            ),
            source="/core-api",
        )

        async def publish() -> None:
            bus = open_bus(bus_url)
            await bus.publish(event)
            await bus.close()

        environment = worker_environment(stub_core=stub_core, bus_url=bus_url, folder=tmp_path)
        with running_workers() as started:
            worker = start_worker(started, environment, tmp_path, "worker")
            asyncio.run(publish())
            wait_until(lambda: position.id in stub_core.excursions, 30, "the excursions")
            assert worker.terminate() == 0
        stored = stub_core.excursions[position.id]
        # Bars 15:01-15:04 lie wholly inside: the 15:01 low 49.75 and the 15:03 high 50.95.
        assert (stored.mae, stored.mfe) == (Decimal("-25.00"), Decimal("95.00"))
