from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import os
import uuid
from pathlib import Path

import pytest
from tradeloop_contracts import (
    SEALING_PURPOSE,
    BrokerConnectionCreated,
    BrokerSyncRequested,
    SealedBrokerCredentials,
    make_event,
)
from tradeloop_contracts.bus import open_bus
from tradeloop_contracts.sealing import KeyRing, SealContext, Sealer

from tests.brokers.conftest import Sleeps
from tests.stub_alpaca import Failure, StubAlpaca, fill_activities
from tests.stub_core import StubCore
from workers.brokers.alpaca import AlpacaAdapter
from workers.brokers.credentials import sealed_secret_opener
from workers.brokers.sync import BrokerSync
from workers.core import CoreClient
from workers.scheduler import catalogue, enabled_jobs

pytestmark = pytest.mark.anyio
START = dt.datetime(2026, 3, 2, 14, 30, tzinfo=dt.UTC)
SECRET = "sk-planted-4f1c9a7e"
KEY = base64.b64encode(os.urandom(32)).decode()
# Core seals with the primary key; workers hold the same key in a ring that only opens.
CORE_RING = KeyRing.from_json(json.dumps({"primary": "k1", "keys": {"k1": KEY}}))
WORKERS_RING = KeyRing.from_json(json.dumps({"keys": {"k1": KEY}}))
open_secret = sealed_secret_opener(WORKERS_RING)


def seal(connection: SealedBrokerCredentials, kind: str, plaintext: str) -> str:
    """What core stores: the secret sealed to this connection and kind, base64url."""
    context = SealContext(
        purpose=SEALING_PURPOSE,
        user_id=connection.user_id,
        connection_id=connection.connection_id,
        kind=kind,
    )
    return base64.urlsafe_b64encode(Sealer(CORE_RING).seal(plaintext, context)).decode()


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

    async def test_a_blob_moved_to_another_connection_does_not_open_and_spares_the_rest(
        self,
        broker_sync: BrokerSync,
        key_connection: SealedBrokerCredentials,
        stub_core: StubCore,
        stub_alpaca: StubAlpaca,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        stolen = connection_with({}).model_copy(update={"secrets": key_connection.secrets})
        stub_core.add_connection(stolen)
        stub_alpaca.add_activities(fill_activities(3, start=START))
        results = await broker_sync.run()
        assert [result.connection_id for result in results] == [str(key_connection.connection_id)]
        assert held_ids(stub_core, stolen) == []
        assert f"broker sync of connection {stolen.connection_id} failed" in caplog.text
        assert SECRET not in caplog.text


class TestBrokerSyncJob:
    async def test_the_scheduled_job_runs_the_sync_once_a_key_ring_is_set(
        self,
        broker_sync: BrokerSync,
        key_connection: SealedBrokerCredentials,
        stub_core: StubCore,
        stub_alpaca: StubAlpaca,
        tmp_path: Path,
    ) -> None:
        stub_alpaca.add_activities(fill_activities(4, start=START))
        bus = open_bus(f"sqlite:///{tmp_path}/bus.db")
        try:
            known = catalogue(bus, ["workers"], broker_sync=broker_sync.run)
            (job,) = enabled_jobs(known, ["broker-sync"])
            assert job.work is not None
            await job.work()
        finally:
            await bus.close()
        assert len(held_ids(stub_core, key_connection)) == 4
        with pytest.raises(ValueError, match="WORKERS_SEALING_KEYS"):
            enabled_jobs(catalogue(bus, ["workers"]), ["broker-sync"])

    async def test_a_new_connection_or_a_sync_request_syncs_at_once(
        self,
        broker_sync: BrokerSync,
        key_connection: SealedBrokerCredentials,
        stub_core: StubCore,
        stub_alpaca: StubAlpaca,
    ) -> None:
        stub_alpaca.add_activities(fill_activities(3, start=START))
        created = BrokerConnectionCreated(
            user_id=key_connection.user_id,
            connection_id=key_connection.connection_id,
            broker="alpaca",
        )
        await broker_sync.handle(make_event("broker_connection.created.v1", created, source="/t"))
        assert len(held_ids(stub_core, key_connection)) == 3

        stub_alpaca.add_activities(fill_activities(2, start=START + dt.timedelta(hours=1)))
        requested = BrokerSyncRequested.model_validate(created.model_dump())
        event = make_event("broker_connection.sync_requested.v1", requested, source="/t")
        await broker_sync.handle(event)
        assert len(held_ids(stub_core, key_connection)) == 5
