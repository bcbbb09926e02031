from __future__ import annotations

import uuid

from alembic import command
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator
from sqlalchemy import update
from sqlalchemy.orm import Session
from tradeloop_contracts import JournalEntrySaved, build_schemas, parse_event

from core_api.cli import alembic_config
from core_api.db import make_engine
from core_api.kit.clock import utcnow
from core_api.outbox.models import OutboxRecord
from core_api.outbox.service import claim, record_event
from tests.conftest import Trader, assert_valid_event, fresh_postgres_database


def write_events(client: TestClient, trader: Trader, count: int) -> None:
    for day in range(1, count + 1):
        client.post(
            "/v1/journal/entries",
            json={"day": f"2026-03-{day:02d}", "body": "x"},
            headers=trader.headers,
        )


class TestOutbox:
    def test_claim_leases_unsent_events_in_sequence_order(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        write_events(client, trader, 3)
        batch = client.post("/internal/outbox/claim", json={"limit": 10}, headers=workers).json()
        sequences = [item["sequence"] for item in batch["items"]]
        assert sequences == sorted(sequences)
        assert len(sequences) == 3
        for item in batch["items"]:
            assert_valid_event(item["event"])
            assert parse_event(item["event"]).source == "/core-api"

    def test_leased_events_are_not_claimed_twice_until_the_lease_ends(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        write_events(client, trader, 2)
        first = client.post("/internal/outbox/claim", json={"limit": 1}, headers=workers).json()
        second = client.post("/internal/outbox/claim", json={"limit": 10}, headers=workers).json()
        assert len(first["items"]) == len(second["items"]) == 1
        assert first["items"][0]["sequence"] < second["items"][0]["sequence"]

    def test_acknowledged_events_are_never_claimed_again(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        write_events(client, trader, 2)
        batch = client.post(
            "/internal/outbox/claim", json={"lease_seconds": 1}, headers=workers
        ).json()
        sequences = [item["sequence"] for item in batch["items"]]
        ack = client.post("/internal/outbox/ack", json={"sequences": sequences}, headers=workers)
        assert ack.status_code == 204
        again = client.post("/internal/outbox/claim", json={}, headers=workers).json()
        assert again["items"] == []

    def test_an_expired_lease_gives_the_events_back(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        write_events(client, trader, 1)
        client.post("/internal/outbox/claim", json={}, headers=workers)
        with client.app.state.core.sessions() as session:  # type: ignore[attr-defined]
            session.execute(update(OutboxRecord).values(lease_until=utcnow()))
            session.commit()
        again = client.post("/internal/outbox/claim", json={}, headers=workers).json()
        assert len(again["items"]) == 1


class TestConcurrentRelays:
    def test_two_relays_on_postgresql_claim_disjoint_events(self) -> None:
        with fresh_postgres_database() as url:
            command.upgrade(alembic_config(url), "head")
            engine = make_engine(url)
            try:
                with Session(engine) as writer, writer.begin():
                    for _ in range(4):
                        record_event(
                            writer,
                            "journal.entry_saved.v1",
                            JournalEntrySaved(user_id=uuid.uuid4(), entry_id=uuid.uuid4()),
                            None,
                        )
                with Session(engine) as first, Session(engine) as second:
                    held = claim(first, limit=2, lease_seconds=30)
                    # `first` has not committed: its rows are locked, not yet leased.
                    taken = claim(second, limit=10, lease_seconds=30)
                    first.rollback()
                    second.rollback()
            finally:
                engine.dispose()
        assert len(held) == 2
        assert len(taken) == 2
        assert {s for s, _ in held}.isdisjoint({s for s, _ in taken})


class TestOutboxBodies:
    def test_a_claimed_batch_matches_the_contracts_schema(
        self, client: TestClient, workers: dict[str, str], trader: Trader
    ) -> None:
        write_events(client, trader, 1)
        batch = client.post("/internal/outbox/claim", json={}, headers=workers).json()
        Draft202012Validator(build_schemas()["responses/OutboxBatch.json"]).validate(batch)
