from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from tests.brokers.conftest import Sleeps
from tests.stub_alpaca import Failure, StubAlpaca, fill_activities
from workers.brokers.adapter import (
    BrokerAuthError,
    BrokerCredentials,
    BrokerUnavailableError,
)
from workers.brokers.alpaca import AlpacaAdapter, FillNotReadableError, fill_of
from workers.brokers.transport import RetryingHttp, retry_after_seconds

pytestmark = pytest.mark.anyio
FIXTURES = Path(__file__).parent / "fixtures"
KEYS = BrokerCredentials(api_key_id=SecretStr("PKTEST1"), api_secret=SecretStr("s3cr3t-value"))
START = dt.datetime(2026, 3, 2, 14, 30, tzinfo=dt.UTC)


@pytest.fixture
def keys(stub_alpaca: StubAlpaca) -> BrokerCredentials:
    stub_alpaca.add_key_pair("PKTEST1", "s3cr3t-value")
    return KEYS


class TestFillMapping:
    def test_the_documented_fill_shapes_become_executions(self) -> None:
        activities = json.loads((FIXTURES / "alpaca_fill_activities.json").read_text())
        stock, short, option, crypto = (fill_of(a, n) for n, a in enumerate(activities))

        assert stock.broker_execution_id == activities[0]["id"]
        assert stock.executed_at == dt.datetime(2019, 5, 24, 15, 34, 6, 977000, tzinfo=dt.UTC)
        assert (stock.side, stock.quantity, stock.price) == ("buy", Decimal(1), Decimal("1.63"))
        assert stock.instrument.asset_class == "stock"
        assert stock.order_id == "904837e3-3b76-47ec-b432-046db621571b"
        assert (short.side, short.quantity, short.price) == (
            "sell",
            Decimal(40),
            Decimal("189.3725"),
        )
        assert option.instrument.asset_class == "option"
        assert option.instrument.underlying == "AAPL"
        assert option.instrument.expiry == dt.date(2024, 1, 19)
        assert option.instrument.strike == Decimal(190)
        assert option.instrument.right == "call"
        assert option.instrument.multiplier == Decimal(100)
        assert crypto.instrument.asset_class == "crypto"
        assert crypto.instrument.symbol == "BTC-USD"
        assert crypto.quantity == Decimal("0.0125")

    def test_an_unreadable_fill_names_the_activity_and_field(self) -> None:
        activity = json.loads((FIXTURES / "alpaca_fill_activities.json").read_text())[0]
        activity["price"] = "n/a"
        with pytest.raises(FillNotReadableError, match=r"20190524113406977.*"):
            fill_of(activity, 0)
        del activity["qty"]
        with pytest.raises(FillNotReadableError, match="field qty is missing"):
            fill_of(activity, 0)


class TestAlpacaAdapter:
    async def test_the_account_is_read_with_the_key_headers(
        self, alpaca: AlpacaAdapter, keys: BrokerCredentials
    ) -> None:
        (account,) = await alpaca.list_accounts(keys, "paper")
        assert account.number == "PA3M2S7N0ZTU"
        assert (account.currency, account.status) == ("USD", "ACTIVE")

    async def test_paper_and_live_use_their_own_base_url(
        self, alpaca: AlpacaAdapter, keys: BrokerCredentials, stub_alpaca: StubAlpaca
    ) -> None:
        await alpaca.list_accounts(keys, "paper")
        await alpaca.list_accounts(keys, "live")
        hosts = [host for host, _, _ in stub_alpaca.requests]
        assert hosts == ["127.0.0.1", "localhost"]

    async def test_fills_are_paged_oldest_first_without_gaps_or_repeats(
        self, alpaca: AlpacaAdapter, keys: BrokerCredentials, stub_alpaca: StubAlpaca
    ) -> None:
        activities = fill_activities(250, start=START)
        stub_alpaca.add_activities(activities)
        seen: list[str] = []
        token = None
        pages = 0
        while True:
            page = await alpaca.fetch_fills(keys, "paper", token)
            pages += 1
            seen += [fill.broker_execution_id or "" for fill in page.fills]
            if page.next_token is None:
                break
            token = page.next_token
        assert seen == [activity["id"] for activity in activities]
        assert pages == 3
        params = [query for _, _, query in stub_alpaca.requests]
        assert all(query["direction"] == "asc" and query["page_size"] == "100" for query in params)

    async def test_a_429_waits_what_retry_after_says_then_succeeds(
        self,
        alpaca: AlpacaAdapter,
        keys: BrokerCredentials,
        stub_alpaca: StubAlpaca,
        sleeps: Sleeps,
    ) -> None:
        stub_alpaca.add_activities(fill_activities(3, start=START))
        stub_alpaca.fail_next(Failure(429, retry_after=7), Failure(429, retry_after=3))
        page = await alpaca.fetch_fills(keys, "paper", None)
        assert len(page.fills) == 3
        assert sleeps == [7.0, 3.0]

    async def test_5xx_answers_back_off_and_the_call_succeeds(
        self,
        alpaca: AlpacaAdapter,
        keys: BrokerCredentials,
        stub_alpaca: StubAlpaca,
        sleeps: Sleeps,
    ) -> None:
        stub_alpaca.fail_next(Failure(500), Failure(503), Failure(502))
        (account,) = await alpaca.list_accounts(keys, "paper")
        assert account.status == "ACTIVE"
        assert len(sleeps) == 3
        assert all(0 < seconds <= 10 for seconds in sleeps)

    async def test_a_broker_that_stays_down_gives_up_after_the_budget(
        self, stub_alpaca: StubAlpaca, keys: BrokerCredentials, sleeps: Sleeps
    ) -> None:
        stub_alpaca.fail_next(*[Failure(503)] * 50)
        async with httpx.AsyncClient() as http:
            adapter = AlpacaAdapter(
                RetryingHttp(http, retry_seconds=2, sleep=sleeps),
                paper_url=stub_alpaca.url,
                live_url=stub_alpaca.url,
                oauth_token_url=f"{stub_alpaca.url}/oauth/token",
            )
            with pytest.raises(BrokerUnavailableError) as raised:
                await adapter.fetch_fills(keys, "paper", None)
        assert "503" in str(raised.value)
        assert 2 <= sum(sleeps) < 2 + 10

    async def test_wrong_or_revoked_keys_are_refused_without_echoing_them(
        self, alpaca: AlpacaAdapter, keys: BrokerCredentials, stub_alpaca: StubAlpaca
    ) -> None:
        stub_alpaca.revoke_everything()
        with pytest.raises(BrokerAuthError) as raised:
            await alpaca.fetch_fills(keys, "paper", None)
        assert raised.value.code == "credentials_rejected"
        assert "s3cr3t-value" not in str(raised.value)
        assert "s3cr3t-value" not in repr(keys)

    async def test_a_forbidden_account_is_its_own_code(
        self, alpaca: AlpacaAdapter, keys: BrokerCredentials, stub_alpaca: StubAlpaca
    ) -> None:
        stub_alpaca.forbidden_keys.add("PKTEST1")
        with pytest.raises(BrokerAuthError) as raised:
            await alpaca.list_accounts(keys, "paper")
        assert (raised.value.code, raised.value.status_code) == ("access_forbidden", 403)

    async def test_an_expired_token_is_refreshed_and_the_old_one_stops_working(
        self, alpaca: AlpacaAdapter, stub_alpaca: StubAlpaca
    ) -> None:
        stub_alpaca.add_oauth_grant("access-old", "refresh-old")
        stub_alpaca.expire_access_token("access-old")
        old = BrokerCredentials(
            access_token=SecretStr("access-old"), refresh_token=SecretStr("refresh-old")
        )
        with pytest.raises(BrokerAuthError) as raised:
            await alpaca.list_accounts(old, "paper")
        assert raised.value.code == "access_token_expired"

        tokens = await alpaca.refresh(old)
        fresh = BrokerCredentials(
            access_token=tokens.access_token, refresh_token=tokens.refresh_token
        )
        (account,) = await alpaca.list_accounts(fresh, "paper")
        assert account.status == "ACTIVE"
        with pytest.raises(BrokerAuthError):
            await alpaca.refresh(old)

    async def test_an_authorisation_code_is_exchanged_once(
        self, alpaca: AlpacaAdapter, stub_alpaca: StubAlpaca
    ) -> None:
        stub_alpaca.codes.add("code-1")
        tokens = await alpaca.exchange_code(SecretStr("code-1"), "https://app.example/callback")
        assert tokens.access_token.get_secret_value().startswith("access-")
        with pytest.raises(BrokerAuthError, match="credentials_rejected"):
            await alpaca.exchange_code(SecretStr("code-1"), "https://app.example/callback")


class TestRetryAfter:
    def test_seconds_dates_and_rate_limit_resets_are_read(self) -> None:
        now = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
        assert retry_after_seconds({"retry-after": "12"}, now) == 12
        date = "Mon, 02 Mar 2026 12:00:30 GMT"
        assert retry_after_seconds({"retry-after": date}, now) == 30
        reset = str(int(now.timestamp()) + 5)
        assert retry_after_seconds({"x-ratelimit-reset": reset}, now) == 5
        assert retry_after_seconds({"retry-after": "soon"}, now) is None
        assert retry_after_seconds({}, now) is None
