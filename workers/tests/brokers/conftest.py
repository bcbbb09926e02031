from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from pydantic import SecretStr

from tests.stub_alpaca import OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET, StubAlpaca, serve_stub_alpaca
from workers.brokers.alpaca import AlpacaAdapter
from workers.brokers.transport import RetryingHttp


class Sleeps(list[float]):
    """A sleep that records how long it was asked to wait and returns at once."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture(scope="session")
def stub_alpaca_server() -> Iterator[StubAlpaca]:
    with serve_stub_alpaca() as state:
        yield state


@pytest.fixture
def stub_alpaca(stub_alpaca_server: StubAlpaca) -> StubAlpaca:
    """The running stub, emptied of what earlier tests left in it."""
    fresh = StubAlpaca(url=stub_alpaca_server.url, lock=stub_alpaca_server.lock)
    with stub_alpaca_server.lock:
        for name, value in vars(fresh).items():
            if name not in ("url", "lock"):
                setattr(stub_alpaca_server, name, value)
    return stub_alpaca_server


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
