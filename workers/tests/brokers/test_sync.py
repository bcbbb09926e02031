from __future__ import annotations

import base64
import datetime as dt
import logging
import uuid

import pytest
from pydantic import SecretStr

from tests.brokers.conftest import Sleeps
from tests.stub_alpaca import Failure, StubAlpaca, fill_activities
from tests.stub_core import StubCore
from workers.brokers.alpaca import AlpacaAdapter
from workers.brokers.shapes import SealedBrokerCredentials
from workers.brokers.sync import BrokerSync
from workers.core import CoreClient

pytestmark = pytest.mark.anyio
START = dt.datetime(2026, 3, 2, 14, 30, tzinfo=dt.UTC)
SECRET = "sk-planted-4f1c9a7e"


def seal(connection: SealedBrokerCredentials, kind: str, plaintext: str) -> str:
    # Stands in for core's Sealer, bound to the connection and kind like the real one.
    bound = f"{connection.connection_id}|{kind}|{plaintext}"
    return base64.urlsafe_b64encode(bound.encode()).decode()


def open_secret(connection: SealedBrokerCredentials, kind: str) -> SecretStr:
    bound = base64.urlsafe_b64decode(connection.secrets[kind]).decode()
    connection_id, sealed_kind, plaintext = bound.split("|", 2)
    assert (connection_id, sealed_kind) == (str(connection.connection_id), kind)
    return SecretStr(plaintext)


def connection_with(secrets: dict[str, str]) -> SealedBrokerCredentials:
    bare = SealedBrokerCredentials(
        connection_id=uuid.uuid4(),
        user_id=uuid.uuid4(),
        account_id=uuid.uuid4(),
        broker="alpaca",
        environment="paper",
        secrets={},
    )
    sealed = {kind: seal(bare, kind, value) for kind, value in secrets.items()}
    return bare.model_copy(update={"secrets": sealed})


@pytest.fixture
def key_connection(stub_core: StubCore, stub_alpaca: StubAlpaca) -> SealedBrokerCredentials:
    stub_alpaca.add_key_pair("PKSYNC", SECRET)
    connection = connection_with({"api_key_id": "PKSYNC", "api_secret": SECRET})
    stub_core.seal = seal
    stub_core.add_connection(connection)
    return connection


@pytest.fixture
def broker_sync(core: CoreClient, alpaca: AlpacaAdapter) -> BrokerSync:
    return BrokerSync(core, {"alpaca": alpaca}, open_secret)


def held_ids(stub_core: StubCore, connection: SealedBrokerCredentials) -> list[str]:
    with stub_core.lock:
        return sorted(
            key
            for user, account, key in stub_core.executions
            if (user, account) == (connection.user_id, connection.account_id)
        )


class TestBrokerSync:
    async def test_every_fill_arrives_once_across_syncs(
        self,
        broker_sync: BrokerSync,
        key_connection: SealedBrokerCredentials,
        stub_core: StubCore,
        stub_alpaca: StubAlpaca,
    ) -> None:
        first = fill_activities(250, start=START)
        stub_alpaca.add_activities(first)
        (result,) = await broker_sync.run()
        assert (result.status, result.new, result.duplicates) == ("active", 250, 0)
        final = stub_core.connection_status[key_connection.connection_id]
        assert final.last_synced_at is not None
        assert final.executions == 250

        later = fill_activities(30, start=START + dt.timedelta(hours=6))
        stub_alpaca.add_activities(later)
        (again,) = await broker_sync.run()
        # The last page of the first sync is read again; core drops it as duplicates.
        assert (again.new, again.duplicates) == (30, 50)
        assert held_ids(stub_core, key_connection) == sorted(a["id"] for a in first + later)

    async def test_a_sync_cut_short_resumes_from_its_cursor_without_gaps(
        self,
        broker_sync: BrokerSync,
        key_connection: SealedBrokerCredentials,
        stub_core: StubCore,
        stub_alpaca: StubAlpaca,
        sleeps: Sleeps,
    ) -> None:
        activities = fill_activities(350, start=START)
        stub_alpaca.add_activities(activities)
        stub_alpaca.go_down_after(2)  # two pages, then down past the retry budget
        (cut,) = await broker_sync.run()
        assert (cut.status, cut.status_detail, cut.new) == ("active", "broker_unavailable", 200)
        assert stub_core.connections[key_connection.connection_id].cursor == activities[99]["id"]
        assert sum(sleeps) >= 30

        stub_alpaca.go_down_after(None)
        (resumed,) = await broker_sync.run()
        assert (resumed.new, resumed.duplicates) == (150, 100)
        assert held_ids(stub_core, key_connection) == sorted(a["id"] for a in activities)

    async def test_429s_and_5xx_on_the_way_lose_nothing(
        self,
        broker_sync: BrokerSync,
        key_connection: SealedBrokerCredentials,
        stub_core: StubCore,
        stub_alpaca: StubAlpaca,
    ) -> None:
        activities = fill_activities(220, start=START)
        stub_alpaca.add_activities(activities)
        stub_alpaca.fail_next(Failure(429, retry_after=2), Failure(500), Failure(502))
        (result,) = await broker_sync.run()
        assert (result.status, result.new) == ("active", 220)
        assert held_ids(stub_core, key_connection) == sorted(a["id"] for a in activities)

    async def test_an_expired_token_is_refreshed_and_the_new_tokens_go_to_core(
        self,
        broker_sync: BrokerSync,
        stub_core: StubCore,
        stub_alpaca: StubAlpaca,
    ) -> None:
        stub_alpaca.add_oauth_grant("access-1", "refresh-1")
        stub_alpaca.expire_access_token("access-1")
        connection = connection_with({"access_token": "access-1", "refresh_token": "refresh-1"})
        stub_core.seal = seal
        stub_core.add_connection(connection)
        stub_alpaca.add_activities(fill_activities(5, start=START))

        (result,) = await broker_sync.run()
        assert (result.status, result.new) == ("active", 5)
        stored = stub_core.connections[connection.connection_id]
        new_access = open_secret(stored, "access_token").get_secret_value()
        assert new_access.startswith("access-")
        assert new_access != "access-1"
        assert open_secret(stored, "refresh_token").get_secret_value() != "refresh-1"

        stub_alpaca.add_activities(fill_activities(3, start=START + dt.timedelta(hours=1)))
        (again,) = await broker_sync.run()
        assert (again.status, again.new) == ("active", 3)

    async def test_a_revoked_connection_is_marked_broken_and_keeps_its_cursor(
        self,
        broker_sync: BrokerSync,
        key_connection: SealedBrokerCredentials,
        stub_core: StubCore,
        stub_alpaca: StubAlpaca,
    ) -> None:
        stub_alpaca.add_activities(fill_activities(120, start=START))
        await broker_sync.run()
        cursor = stub_core.connections[key_connection.connection_id].cursor
        stub_alpaca.revoke_everything()

        (result,) = await broker_sync.run()
        assert (result.status, result.status_detail) == ("broken", "credentials_rejected")
        status = stub_core.connection_status[key_connection.connection_id]
        assert (status.status, status.status_detail, status.cursor) == (
            "broken",
            "credentials_rejected",
            cursor,
        )
        assert len(held_ids(stub_core, key_connection)) == 120
        assert await broker_sync.run() == []  # core no longer lists it as due

    @pytest.mark.usefixtures("key_connection")
    async def test_secrets_never_reach_logs_errors_or_results(
        self,
        broker_sync: BrokerSync,
        stub_core: StubCore,
        stub_alpaca: StubAlpaca,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        caplog.set_level(logging.DEBUG)
        stub_alpaca.add_activities(fill_activities(150, start=START))
        stub_alpaca.fail_next(Failure(429, retry_after=1), Failure(503))
        results = await broker_sync.run()
        stub_alpaca.revoke_everything()
        results += await broker_sync.run()

        assert [result.status for result in results] == ["active", "broken"]
        assert SECRET not in caplog.text
        assert "PKSYNC" not in caplog.text
        assert all(SECRET not in repr(result) for result in results)
        assert all(SECRET not in str(update) for update in stub_core.sync_updates)
