from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import obstore
import pytest
from obstore.store import LocalStore
from tradeloop_contracts import ImportProgressed, PositionClosed, make_event

from tests.market_data.factories import ES, closed_position, minute_bars
from tests.stub_core import StubCore
from workers.core import CoreClient
from workers.market_data.bars import bars_to_csv
from workers.market_data.enrichment import EnrichmentJob, interval_for
from workers.market_data.sources import FileBars, file_key

pytestmark = pytest.mark.anyio
T0 = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)


def at(minute: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minute, seconds=20)


class TestEnrichmentJob:
    async def test_a_closed_position_gets_its_chart_bars_and_excursions(
        self, core: CoreClient, stub_core: StubCore, object_store: LocalStore
    ) -> None:
        user = uuid.uuid4()
        position = closed_position([(at(0), "sell", "2", "5000"), (at(4), "buy", "2", "4990")], ES)
        stub_core.add_position(user, position)
        # Minute closes from 14:30; bars 15:01-15:03 lie wholly inside the holding.
        closes = ["5000"] * 31 + ["5003", "4996", "4993"] + ["4990"] * 40
        bars = minute_bars(T0 - dt.timedelta(minutes=30), closes, spread="1")
        await obstore.put_async(object_store, file_key("ESZ6", "1m"), bars_to_csv(bars))

        event = make_event(
            "position.closed.v1",
            PositionClosed(
                user_id=user,
                position_id=position.id,
                account_id=position.account_id,
                symbol="ESZ6",
                realised_pnl_net=Decimal(996),
                currency="USD",
                outcome="win",
            ),
            source="/core-api",
        )
        await EnrichmentJob(core, FileBars(object_store)).handle(event)

        stored = stub_core.excursions[position.id]
        # Short 2 at 5000 x 50: the 15:01 bar's high 5003.5 gives -350; the best is the
        # exit at 4990 (+1000), better than the 15:03 low of 4992.5 (+750).
        assert (stored.mae, stored.mfe) == (Decimal(-350), Decimal(1000))
        assert (stored.mae_price, stored.mfe_price) == (Decimal("5003.5"), Decimal("4990"))
        assert (stored.currency, stored.interval) == ("USD", "1m")
        chart = stub_core.position_bars[position.id]
        assert chart.complete
        assert chart.bars[0].time == T0 - dt.timedelta(minutes=30)
        assert chart.bars[-1].time == T0 + dt.timedelta(minutes=34)

    async def test_without_bars_the_excursions_stay_unknown(
        self, core: CoreClient, stub_core: StubCore, object_store: LocalStore
    ) -> None:
        user = uuid.uuid4()
        position = closed_position([(at(0), "buy", "10", "50"), (at(3), "sell", "10", "51")])
        stub_core.add_position(user, position)
        found = await EnrichmentJob(core, FileBars(object_store)).enrich_position(user, position.id)
        assert found is not None
        assert found.excursions is None
        assert position.id not in stub_core.excursions
        assert stub_core.position_bars[position.id].complete is False

    async def test_other_events_and_other_users_positions_are_left_alone(
        self, core: CoreClient, stub_core: StubCore, object_store: LocalStore
    ) -> None:
        owner = uuid.uuid4()
        position = closed_position([(at(0), "buy", "10", "50"), (at(3), "sell", "10", "51")])
        stub_core.add_position(owner, position)
        job = EnrichmentJob(core, FileBars(object_store))
        other = make_event(
            "import.progressed.v1",
            ImportProgressed(user_id=owner, import_id=uuid.uuid4(), rows_processed=1),
            source="/core-api",
        )
        await job.handle(other)
        assert await job.enrich_position(uuid.uuid4(), position.id) is None
        assert stub_core.position_bars == {}


def test_the_bar_interval_follows_the_holding_time() -> None:
    assert interval_for(T0, T0 + dt.timedelta(hours=5)) == "1m"
    assert interval_for(T0, T0 + dt.timedelta(days=10)) == "1h"
    assert interval_for(T0, T0 + dt.timedelta(days=200)) == "1d"
