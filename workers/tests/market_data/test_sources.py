from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import httpx
import obstore
import pytest
from obstore.store import LocalStore
from pydantic import SecretStr

from tests.market_data.factories import AAPL, ES
from tests.stub_alpaca import Failure, StubAlpaca
from workers.brokers.transport import RetryingHttp
from workers.market_data.bars import BarFileError, PriceBar, bars_to_csv
from workers.market_data.sources import AlpacaBars, CachedBars, FileBars, file_key

pytestmark = pytest.mark.anyio
FIXTURES = Path(__file__).parent / "fixtures"
DAY = dt.datetime(2024, 3, 4, 14, 30, tzinfo=dt.UTC)
NOW = dt.datetime(2024, 3, 6, 12, 0, tzinfo=dt.UTC)


async def no_sleep(_: float) -> None:
    return None


@pytest.fixture
async def alpaca_bars(stub_alpaca: StubAlpaca) -> AsyncIterator[AlpacaBars]:
    stub_alpaca.add_key_pair("PKDATA", "data-secret")
    async with httpx.AsyncClient(timeout=5) as http:
        yield AlpacaBars(
            RetryingHttp(http, retry_seconds=10, sleep=no_sleep),
            data_url=stub_alpaca.url,
            key_id=SecretStr("PKDATA"),
            secret=SecretStr("data-secret"),
            clock=lambda: NOW,
        )


def stub_bars(count: int, start: dt.datetime = DAY) -> list[dict[str, object]]:
    return [
        {
            "t": (start + dt.timedelta(minutes=n)).isoformat().replace("+00:00", "Z"),
            "o": 100 + n / 100,
            "h": 101 + n / 100,
            "l": 99 + n / 100,
            "c": 100.5 + n / 100,
            "v": 1000 + n,
            "n": 10,
            "vw": 100.25,
        }
        for n in range(count)
    ]


class TestAlpacaBars:
    async def test_the_documented_bar_shape_is_read_exactly(
        self, alpaca_bars: AlpacaBars, stub_alpaca: StubAlpaca
    ) -> None:
        stub_alpaca.bars["AAPL"] = json.loads((FIXTURES / "alpaca_stock_bars.json").read_text())[
            "bars"
        ]
        bars = await alpaca_bars.bars(AAPL, "1m", DAY, DAY + dt.timedelta(hours=1))
        assert len(bars) == 5
        assert bars[0] == PriceBar(
            DAY,
            Decimal("176.15"),
            Decimal("176.38"),
            Decimal("175.92"),
            Decimal("176.2"),
            Decimal(53912),
        )
        (_, path, query), *_ = stub_alpaca.requests
        assert path == "/v2/stocks/AAPL/bars"
        assert (query["timeframe"], query["adjustment"], query["feed"]) == ("1Min", "raw", "iex")

    async def test_pages_are_followed_and_429s_waited_out(
        self, alpaca_bars: AlpacaBars, stub_alpaca: StubAlpaca
    ) -> None:
        stub_alpaca.bars["AAPL"] = stub_bars(390)
        stub_alpaca.bars_page_size = 100
        stub_alpaca.fail_next(Failure(429, retry_after=1), Failure(503))
        bars = await alpaca_bars.bars(AAPL, "1m", DAY, DAY + dt.timedelta(days=1))
        assert [bar.time for bar in bars] == [DAY + dt.timedelta(minutes=n) for n in range(390)]
        assert len(stub_alpaca.requests) == 4 + 2

    async def test_futures_get_no_bars_and_no_request(
        self, alpaca_bars: AlpacaBars, stub_alpaca: StubAlpaca
    ) -> None:
        assert await alpaca_bars.bars(ES, "1m", DAY, DAY + dt.timedelta(hours=1)) == []
        assert stub_alpaca.requests == []


class TestCachedBars:
    async def test_past_days_are_fetched_once_then_read_from_the_cache(
        self, alpaca_bars: AlpacaBars, stub_alpaca: StubAlpaca, object_store: LocalStore
    ) -> None:
        stub_alpaca.bars["AAPL"] = stub_bars(60)
        cached = CachedBars(alpaca_bars, object_store, clock=lambda: NOW)
        window = (DAY, DAY + dt.timedelta(minutes=45))
        first = await cached.bars(AAPL, "1m", *window)
        second = await cached.bars(AAPL, "1m", *window)
        assert first == second
        assert len(first) == 45
        assert len(stub_alpaca.requests) == 1

    async def test_today_is_not_cached(
        self, alpaca_bars: AlpacaBars, stub_alpaca: StubAlpaca, object_store: LocalStore
    ) -> None:
        stub_alpaca.bars["AAPL"] = stub_bars(60)
        cached = CachedBars(alpaca_bars, object_store, clock=lambda: DAY + dt.timedelta(hours=2))
        await cached.bars(AAPL, "1m", DAY, DAY + dt.timedelta(minutes=30))
        await cached.bars(AAPL, "1m", DAY, DAY + dt.timedelta(minutes=30))
        assert len(stub_alpaca.requests) == 2


class TestFileBars:
    async def test_bars_come_from_the_symbols_file_in_the_window(
        self, object_store: LocalStore
    ) -> None:
        bars = [
            PriceBar(DAY + dt.timedelta(minutes=n), *(Decimal(10),) * 4, Decimal(1))
            for n in range(10)
        ]
        await obstore.put_async(object_store, file_key("AAPL", "1m"), bars_to_csv(bars))
        source = FileBars(object_store)
        got = await source.bars(
            AAPL, "1m", DAY + dt.timedelta(minutes=2), DAY + dt.timedelta(minutes=5)
        )
        assert got == bars[2:5]
        assert await source.bars(ES, "1m", DAY, DAY + dt.timedelta(hours=1)) == []

    async def test_a_broken_file_is_named(self, object_store: LocalStore) -> None:
        await obstore.put_async(object_store, file_key("AAPL", "1m"), b"time,open\n")
        with pytest.raises(BarFileError, match="market-data/files/1m/AAPL.csv: line 1"):
            await FileBars(object_store).bars(AAPL, "1m", DAY, DAY + dt.timedelta(hours=1))
