from __future__ import annotations

import socket

import anyio
import httpx
import pytest
from pydantic import SecretStr
from tradeloop_contracts import ImportCounts, ImportOutcome, OutboxClaim

from tests.factories import import_requested
from tests.stub_core import CLIENT_SECRET, StubCore
from workers.core import CoreClient, CoreRejectedError, CoreUnavailableError, core_http

pytestmark = pytest.mark.anyio
COMPLETED = ImportOutcome(status="completed", counts=ImportCounts(new=3))


class TestCoreClient:
    async def test_service_token_is_fetched_once_and_reused(
        self, core: CoreClient, stub_core: StubCore
    ) -> None:
        for _ in range(3):
            await core.claim_outbox(OutboxClaim())
        assert stub_core.token_requests == 1

    async def test_a_401_fetches_a_new_token_and_repeats_the_call(
        self, core: CoreClient, stub_core: StubCore
    ) -> None:
        await core.claim_outbox(OutboxClaim())
        stub_core.revoke_tokens()
        batch = await core.claim_outbox(OutboxClaim())
        assert batch.items == []
        assert stub_core.token_requests == 2

    async def test_calls_retry_while_core_answers_503(
        self, core: CoreClient, stub_core: StubCore
    ) -> None:
        stub_core.fail_next_calls(3)
        batch = await core.claim_outbox(OutboxClaim())
        assert batch.items == []
        assert stub_core.unavailable_calls == 0

    async def test_a_wrong_secret_is_refused_without_echoing_it(self, stub_core: StubCore) -> None:
        async with httpx.AsyncClient(base_url=stub_core.url) as http:
            client = CoreClient(http, client_secret=SecretStr("not-the-secret"), retry_seconds=5)
            with pytest.raises(CoreRejectedError) as raised:
                await client.claim_outbox(OutboxClaim())
        assert raised.value.status_code == 401
        assert "not-the-secret" not in str(raised.value)

    async def test_an_unreachable_core_gives_up_after_the_retry_budget(self) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            closed_port = sock.getsockname()[1]
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{closed_port}") as http:
            client = CoreClient(http, client_secret=SecretStr(CLIENT_SECRET), retry_seconds=0.5)
            with pytest.raises(CoreUnavailableError):
                await client.claim_outbox(OutboxClaim())
            assert await client.is_healthy() is False

    async def test_another_users_import_reads_as_missing(
        self, core: CoreClient, stub_core: StubCore
    ) -> None:
        request = import_requested()
        stub_core.add_import(request)
        assert await core.get_import(request.user_id, request.import_id) is not None
        assert await core.get_import(request.account_id, request.import_id) is None

    async def test_an_outcome_waits_for_core_to_settle_longer_than_other_calls(
        self, stub_core: StubCore
    ) -> None:
        request = import_requested()
        stub_core.add_import(request)
        stub_core.slow_down_outcomes(1.0)
        async with core_http(stub_core.url, timeout=0.3) as http:
            client = CoreClient(
                http,
                client_secret=SecretStr(CLIENT_SECRET),
                retry_seconds=5,
                settle_timeout_seconds=5,
            )
            await client.report_outcome(request.user_id, request.import_id, COMPLETED)
        assert stub_core.outcomes == [COMPLETED]

    async def test_an_outcome_whose_answer_times_out_is_sent_again(
        self, stub_core: StubCore
    ) -> None:
        request = import_requested()
        stub_core.add_import(request)
        stub_core.slow_down_outcomes(1.5)
        async with core_http(stub_core.url, timeout=0.3) as http:
            client = CoreClient(
                http,
                client_secret=SecretStr(CLIENT_SECRET),
                retry_seconds=5,
                settle_timeout_seconds=0.5,
            )
            await client.report_outcome(request.user_id, request.import_id, COMPLETED)
        # The first call still lands when its settle ends; core takes an outcome once.
        await anyio.sleep(1.5)
        assert stub_core.outcomes == [COMPLETED, COMPLETED]
