"""The broker adapters the settings configure."""

from __future__ import annotations

import httpx

from ..config import WorkersSettings
from .alpaca import AlpacaAdapter
from .transport import RetryingHttp


def alpaca_adapter(settings: WorkersSettings, http: httpx.AsyncClient) -> AlpacaAdapter:
    """Alpaca's trading API at the configured paper, live and OAuth URLs."""
    return AlpacaAdapter(
        RetryingHttp(http, retry_seconds=settings.broker_retry_seconds),
        paper_url=settings.alpaca_paper_url,
        live_url=settings.alpaca_live_url,
        oauth_token_url=settings.alpaca_oauth_token_url,
        oauth_client_id=settings.alpaca_oauth_client_id,
        oauth_client_secret=settings.alpaca_oauth_client_secret,
    )
