"""The bar source the settings ask for."""

from __future__ import annotations

import httpx
from obstore.store import ObjectStore

from ..brokers.transport import RetryingHttp
from ..config import WorkersSettings
from .bars import BarSource
from .sources import AlpacaBars, CachedBars, FileBars


def bar_source(settings: WorkersSettings, http: httpx.AsyncClient, store: ObjectStore) -> BarSource:
    """Files in object storage, or Alpaca's market data behind the object storage cache."""
    if settings.market_data_source == "files":
        return FileBars(store)
    alpaca = AlpacaBars(
        RetryingHttp(http, retry_seconds=settings.broker_retry_seconds),
        data_url=settings.alpaca_data_url,
        key_id=settings.alpaca_data_key_id,
        secret=settings.alpaca_data_secret,
        feed=settings.alpaca_data_feed,
    )
    return CachedBars(alpaca, store)
