from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core_api.brokers.models import BrokerSecretRecord
from core_api.identity.models import AuditLineRecord
from core_api.models import metadata
from tests.brokers.test_endpoints import connect
from tests.conftest import (
    PASSWORD,
    Trader,
    assert_valid_event,
    events_of,
    execution,
    make_trader,
)
from tests.executions.test_endpoints import post_batch
from tests.imports.test_endpoints import stored_files, upload

NEW_PASSWORD = "a brand new passphrase"


def login(client: TestClient, email: str, password: str) -> int:
    response = client.post("/v1/auth/login", json={"email": email, "password": password})
    return response.status_code


def refresh(client: TestClient, refresh_token: str) -> int:
    return client.post("/v1/auth/refresh", json={"refresh_token": refresh_token}).status_code


class TestChangePassword:
    def test_the_new_password_works_and_the_old_one_no_longer_does(
        self, client: TestClient, trader: Trader
    ) -> None:
        response = client.post(
            "/v1/auth/password",
            json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
            headers=trader.headers,
        )
        assert response.status_code == 204
        assert login(client, trader.email, NEW_PASSWORD) == 200
        assert login(client, trader.email, PASSWORD) == 401

    def test_every_other_session_ends_and_this_one_goes_on(
        self, client: TestClient, trader: Trader
    ) -> None:
        other = client.post("/v1/auth/login", json={"email": trader.email, "password": PASSWORD})
        client.post(
            "/v1/auth/password",
            json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
            headers=trader.headers,
        )
        assert refresh(client, other.json()["refresh_token"]) == 401
        assert refresh(client, trader.refresh_token) == 200

    def test_a_wrong_current_password_is_named_and_changes_nothing(
        self, client: TestClient, trader: Trader
    ) -> None:
        response = client.post(
            "/v1/auth/password",
            json={"current_password": "not my password", "new_password": NEW_PASSWORD},
            headers=trader.headers,
        )
        assert response.status_code == 422
        assert [e["location"] for e in response.json()["errors"]] == ["body.current_password"]
        assert "not my password" not in response.text
        assert login(client, trader.email, PASSWORD) == 200

    def test_a_too_short_new_password_is_named(self, client: TestClient, trader: Trader) -> None:
        response = client.post(
            "/v1/auth/password",
            json={"current_password": PASSWORD, "new_password": "short"},
            headers=trader.headers,
        )
        assert response.status_code == 422
        assert [e["location"] for e in response.json()["errors"]] == ["body.new_password"]

    def test_it_needs_a_token(self, client: TestClient) -> None:
        response = client.post(
            "/v1/auth/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
        )
        assert response.status_code == 401


def rows_of(session: Session, trader: Trader) -> dict[str, int]:
    """How many rows of each table with a `user_id` column belong to the trader."""
    counts = {}
    for table in metadata.sorted_tables:
        if "user_id" in table.c:
            statement = select(func.count()).select_from(table)
            counts[table.name] = session.scalar(statement.where(table.c.user_id == trader.id)) or 0
    return counts


class TestDeleteAccount:
    def test_everything_the_trader_owns_goes_and_one_anonymous_audit_line_stays(
        self,
        client: TestClient,
        workers: dict[str, str],
        trader: Trader,
        session: Session,
        data_dir: Path,
    ) -> None:
        assert upload(client, trader).status_code == 202
        post_batch(
            client, workers, trader, [execution("b", "buy", "1", "10", "2026-03-02T15:00:00Z")]
        )
        client.post(
            "/v1/journal/entries",
            json={"day": "2026-03-02", "body": "calm day"},
            headers=trader.headers,
        )
        assert connect(client, trader).status_code == 201
        assert stored_files(data_dir, trader)
        before = rows_of(session, trader)
        assert {"accounts", "imports", "executions", "positions", "journal_entries", "outbox"} <= {
            name for name, count in before.items() if count
        }

        response = client.request(
            "DELETE", "/v1/me", json={"password": PASSWORD}, headers=trader.headers
        )

        assert response.status_code == 204
        left = {name: count for name, count in rows_of(session, trader).items() if count}
        assert left == {"outbox": 1}
        assert session.scalars(select(BrokerSecretRecord)).all() == []
        [event] = events_of(session, trader.id, "user.deleted.v1")
        assert_valid_event(event)
        assert event["data"]["user_id"] == str(trader.id)
        assert stored_files(data_dir, trader) == []
        assert login(client, trader.email, PASSWORD) == 401
        assert refresh(client, trader.refresh_token) == 401
        [line] = session.scalars(select(AuditLineRecord)).all()
        assert line.action == "account.deleted"
        assert str(trader.id) not in str(line.detail)
        assert trader.email not in str(line.detail)

    def test_another_trader_keeps_everything(
        self, client: TestClient, trader: Trader, session: Session
    ) -> None:
        other = make_trader(client)
        before = rows_of(session, other)
        client.request("DELETE", "/v1/me", json={"password": PASSWORD}, headers=trader.headers)
        assert rows_of(session, other) == before
        assert client.get("/v1/me", headers=other.headers).status_code == 200

    def test_a_wrong_password_deletes_nothing(
        self, client: TestClient, trader: Trader, session: Session
    ) -> None:
        response = client.request(
            "DELETE", "/v1/me", json={"password": "not my password"}, headers=trader.headers
        )
        assert response.status_code == 422
        assert [e["location"] for e in response.json()["errors"]] == ["body.password"]
        assert rows_of(session, trader)["accounts"] == 1

    def test_the_password_is_required(self, client: TestClient, trader: Trader) -> None:
        response = client.request("DELETE", "/v1/me", json={}, headers=trader.headers)
        assert response.status_code == 422
        assert [e["location"] for e in response.json()["errors"]] == ["body.password"]
