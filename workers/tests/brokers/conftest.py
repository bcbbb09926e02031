from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr

from tests.stub_alpaca import OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET, StubAlpaca
from workers.brokers.alpaca import AlpacaAdapter
from workers.brokers.transport import RetryingHttp


class Sleeps(list[float]):
    """A sleep that records how long it was asked to wait and returns at once."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
async def alpaca(stub_alpaca: StubAlpaca, sleeps: Sleeps) -> AsyncIterator[AlpacaAdapter]:
    """The adapter on the stub: paper at 127.0.0.1, live at localhost (same server)."""
    async with httpx.AsyncClient(timeout=5) as http:
        yield AlpacaAdapter(
            RetryingHttp(http, retry_seconds=30, sleep=sleeps),
            paper_url=stub_alpaca.url,
            live_url=stub_alpaca.url.replace("127.0.0.1", "localhost"),
            oauth_token_url=f"{stub_alpaca.url}/oauth/token",
            oauth_client_id=OAUTH_CLIENT_ID,
            oauth_client_secret=SecretStr(OAUTH_CLIENT_SECRET),
        )
