"""Sources of bars: files in object storage, Alpaca's market data API, and the cache."""

from __future__ import annotations

import asyncio
import bisect
import datetime as dt
import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import obstore
from obstore.store import ObjectStore
from pydantic import SecretStr
from tradeloop_contracts import BarInterval, Instrument

from ..brokers.adapter import BrokerError
from ..brokers.transport import RetryingHttp, json_body
from .bars import INTERVALS, BarSource, MarketDataError, PriceBar, bars_from_csv, bars_to_csv

FILES_PREFIX = "market-data/files"
CACHE_PREFIX = "market-data/cache"
ALPACA_TIMEFRAMES: dict[BarInterval, str] = {
    "1m": "1Min",
    "5m": "5Min",
    "15m": "15Min",
    "1h": "1Hour",
    "1d": "1Day",
}
logger = logging.getLogger(__name__)


def file_key(symbol: str, interval: BarInterval) -> str:
    """Where the file source keeps a symbol's bars of one interval."""
    return f"{FILES_PREFIX}/{interval}/{symbol}.csv"


class FileBars:
    """Bars imported from CSV files, one per symbol and interval, in object storage
    (`market-data/files/<interval>/<SYMBOL>.csv`, columns `time,open,high,low,close,volume`).

    A file is read once and kept in memory for the life of the source.
    """

    name = "files"

    def __init__(self, store: ObjectStore) -> None:
        self._store = store
        self._loaded: dict[str, tuple[list[dt.datetime], list[PriceBar]]] = {}

    async def bars(
        self, instrument: Instrument, interval: BarInterval, start: dt.datetime, end: dt.datetime
    ) -> list[PriceBar]:
        """The file's bars opening in [start, end); [] without a file for the symbol.

        Raises BarFileError for a file that cannot be read.
        """
        key = file_key(instrument.symbol, interval)
        if key not in self._loaded:
            try:
                data = await _read(self._store, key)
            except FileNotFoundError:
                data = None
            bars = [] if data is None else bars_from_csv(data, key)
            self._loaded[key] = ([bar.time for bar in bars], bars)
        times, bars = self._loaded[key]
        return bars[bisect.bisect_left(times, start) : bisect.bisect_left(times, end)]


class AlpacaBars:
    """Stock bars from Alpaca's market data API (`GET /v2/stocks/{symbol}/bars`), raw
    prices (no split adjustment, so they match the fills), paged by `next_page_token`.
    Other asset classes get no bars."""

    name = "alpaca"

    def __init__(
        self,
        http: RetryingHttp,
        *,
        data_url: str,
        key_id: SecretStr,
        secret: SecretStr,
        feed: str = "iex",
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self._http = http
        self._url = data_url.rstrip("/")
        self._key_id = key_id
        self._secret = secret
        self._feed = feed
        self._clock = clock

    async def bars(
        self, instrument: Instrument, interval: BarInterval, start: dt.datetime, end: dt.datetime
    ) -> list[PriceBar]:
        """Alpaca's complete bars opening in [start, end).

        Raises MarketDataError when Alpaca refuses the request or stays unavailable.
        """
        if instrument.asset_class != "stock":
            return []
        # A bar still forming is not complete: stop at the last one that has closed.
        end = min(end, self._clock() - INTERVALS[interval])
        params = {
            "timeframe": ALPACA_TIMEFRAMES[interval],
            "start": start.astimezone(dt.UTC).isoformat(),
            "end": end.astimezone(dt.UTC).isoformat(),
            "limit": "10000",
            "adjustment": "raw",
            "feed": self._feed,
            "sort": "asc",
        }
        headers = {
            "APCA-API-KEY-ID": self._key_id.get_secret_value(),
            "APCA-API-SECRET-KEY": self._secret.get_secret_value(),
        }
        url = f"{self._url}/v2/stocks/{instrument.symbol}/bars"
        bars: list[PriceBar] = []
        while start < end:
            try:
                response = await self._http.request("GET", url, headers=headers, params=params)
                body = json_body(response)
            except BrokerError as error:
                raise MarketDataError(f"Alpaca market data: {error}") from None
            if response.status_code >= 400:
                raise MarketDataError(
                    f"Alpaca market data answered {response.status_code} for "
                    f"{instrument.symbol} {interval}"
                )
            bars += [_alpaca_bar(raw, instrument.symbol) for raw in body.get("bars") or []]
            token = body.get("next_page_token")
            if not token:
                break
            params["page_token"] = token
        return [bar for bar in bars if bar.time < end]


def _alpaca_bar(raw: Any, symbol: str) -> PriceBar:
    try:
        return PriceBar(
            dt.datetime.fromisoformat(raw["t"]).astimezone(dt.UTC),
            *(Decimal(str(raw[name])) for name in ("o", "h", "l", "c", "v")),
        )
    except (KeyError, TypeError, ValueError, ArithmeticError):
        raise MarketDataError(f"Alpaca market data: an unreadable bar of {symbol}") from None


class CachedBars:
    """A source behind a cache in object storage, one object per symbol, interval and UTC
    day (`market-data/cache/<source>/<interval>/<SYMBOL>/<YYYY-MM-DD>.csv`).

    Only days that ended before now are cached (their bars are final); the days missing
    from the cache are fetched from the source in one call.
    """

    def __init__(
        self,
        source: BarSource,
        store: ObjectStore,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.name = source.name
        self._source = source
        self._store = store
        self._clock = clock

    async def bars(
        self, instrument: Instrument, interval: BarInterval, start: dt.datetime, end: dt.datetime
    ) -> list[PriceBar]:
        """The bars opening in [start, end), from the cache where it has them.

        Raises the source's MarketDataError when it must be asked and cannot answer.
        """
        days = _days(start, end)
        keys = [self._key(instrument.symbol, interval, day) for day in days]
        cached = await asyncio.gather(*(_read_or_none(self._store, key) for key in keys))
        missing = [day for day, data in zip(days, cached, strict=True) if data is None]
        bars: list[PriceBar] = []
        for key, data in zip(keys, cached, strict=True):
            if data is not None:
                bars += bars_from_csv(data, key)
        if missing:
            fetched = await self._source.bars(
                instrument, interval, _midnight(missing[0]), _midnight(missing[-1], 1)
            )
            today = self._clock().date()
            for day in missing:
                of_day = [bar for bar in fetched if bar.time.date() == day]
                bars += of_day
                if day < today:
                    key = self._key(instrument.symbol, interval, day)
                    await obstore.put_async(self._store, key, bars_to_csv(of_day))
        bars.sort(key=lambda bar: bar.time)
        return [bar for bar in bars if start <= bar.time < end]

    def _key(self, symbol: str, interval: BarInterval, day: dt.date) -> str:
        return f"{CACHE_PREFIX}/{self.name}/{interval}/{symbol}/{day.isoformat()}.csv"


def _days(start: dt.datetime, end: dt.datetime) -> list[dt.date]:
    first, last = (
        start.astimezone(dt.UTC).date(),
        (end - dt.timedelta(microseconds=1)).astimezone(dt.UTC).date(),
    )
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def _midnight(day: dt.date, plus_days: int = 0) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=plus_days), dt.time(), dt.UTC)


async def _read(store: ObjectStore, key: str) -> bytes:
    result = await obstore.get_async(store, key)
    return bytes(await result.bytes_async())


async def _read_or_none(store: ObjectStore, key: str) -> bytes | None:
    try:
        return await _read(store, key)
    except FileNotFoundError:
        return None
