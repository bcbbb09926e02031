from __future__ import annotations

import base64
import datetime as dt
import logging
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tradeloop_contracts.sealing import Opener, SealContext, TamperedError

from core_api.app import create_app
from core_api.brokers.models import BrokerConnectionRecord, BrokerSecretRecord
from core_api.brokers.service import secret_context
from core_api.config import Settings
from core_api.outbox.models import OutboxRecord
from tests.brokers.keyrings import ring_setting
from tests.conftest import Trader, assert_valid_event, events_of, make_trader, service_headers

KEY_ID = "PKPLANTEDKEYID7Q2X"
SECRET = "planted-secret-3f9a7c1e5b2d"
ACCESS = "planted-access-token-a1b2c3"
REFRESH = "planted-refresh-token-d4e5f6"
PLANTED = (KEY_ID, SECRET, ACCESS, REFRESH)


def connect(client: TestClient, trader: Trader, **overrides: Any) -> Any:
    body = {
        "broker": "alpaca",
        "environment": "paper",
        "label": "Alpaca paper",
        "account_id": str(trader.account_id),
        "api_key_id": KEY_ID,
        "api_secret": SECRET,
        **overrides,
    }
    return client.post("/v1/broker-connections", json=body, headers=trader.headers)


def credentials(client: TestClient, workers: dict[str, str], connection_id: str) -> Any:
    return client.get(
        f"/internal/v1/broker-connections/{connection_id}/credentials", headers=workers
    )


def open_secrets(app: FastAPI, body: dict[str, Any]) -> dict[str, str]:
    """What a worker does: each blob opened in memory with its own context."""
    opener = Opener(app.state.core.sealing)
    return {
        kind: opener.open_text(
            base64.urlsafe_b64decode(blob),
            secret_context(uuid.UUID(body["user_id"]), uuid.UUID(body["connection_id"]), kind),
        ).get_secret_value()
        for kind, blob in body["secrets"].items()
    }


class TestConnectingABroker:
    def test_a_connection_round_trips_from_trader_to_worker_and_back(
        self,
        app: FastAPI,
        client: TestClient,
        trader: Trader,
        workers: dict[str, str],
        session: Session,
    ) -> None:
        created = connect(client, trader)
        assert created.status_code == 201, created.text
        connection = created.json()
        assert connection["status"] == "active"
        assert client.get("/v1/broker-connections", headers=trader.headers).json() == {
            "items": [connection]
        }
        due = client.get("/internal/v1/broker-connections/due", headers=workers).json()
        assert [item["connection_id"] for item in due["items"]] == [connection["id"]]

        sealed = credentials(client, workers, connection["id"]).json()
        assert sealed["cursor"] is None
        assert open_secrets(app, sealed) == {"api_key_id": KEY_ID, "api_secret": SECRET}

        synced_at = dt.datetime.now(dt.UTC).replace(microsecond=0)
        report = {
            "status": "active",
            "last_synced_at": synced_at.isoformat(),
            "cursor": "20261125195900000::d4e5f6",
            "executions": 12,
            "access_token": ACCESS,
            "refresh_token": REFRESH,
        }
        path = f"/internal/v1/broker-connections/{connection['id']}/sync"
        assert client.post(path, json=report, headers=workers).status_code == 204
        sealed = credentials(client, workers, connection["id"]).json()
        assert sealed["cursor"] == "20261125195900000::d4e5f6"
        assert open_secrets(app, sealed) == {
            "api_key_id": KEY_ID,
            "api_secret": SECRET,
            "access_token": ACCESS,
            "refresh_token": REFRESH,
        }
        [listed] = client.get("/v1/broker-connections", headers=trader.headers).json()["items"]
        assert dt.datetime.fromisoformat(listed["last_synced_at"]) == synced_at
        assert client.get("/internal/v1/broker-connections/due", headers=workers).json() == {
            "items": []
        }
        [created_event] = events_of(session, trader.id, "broker_connection.created.v1")
        [synced_event] = events_of(session, trader.id, "broker_connection.synced.v1")
        for event in (created_event, synced_event):
            assert_valid_event(event)
        assert synced_event["data"]["executions"] == 12

    def test_a_report_without_a_cursor_keeps_the_one_stored(
        self, client: TestClient, trader: Trader, workers: dict[str, str]
    ) -> None:
        connection_id = connect(client, trader).json()["id"]
        path = f"/internal/v1/broker-connections/{connection_id}/sync"
        client.post(path, json={"status": "active", "cursor": "c1"}, headers=workers)
        client.post(
            path,
            json={"status": "broken", "status_detail": "token_revoked"},
            headers=workers,
        )
        assert credentials(client, workers, connection_id).json()["cursor"] == "c1"
        [listed] = client.get("/v1/broker-connections", headers=trader.headers).json()["items"]
        assert (listed["status"], listed["status_detail"]) == ("broken", "token_revoked")
        due = client.get("/internal/v1/broker-connections/due", headers=workers).json()
        assert due["items"] == []

    def test_sync_now_makes_a_recently_synced_connection_due(
        self, client: TestClient, trader: Trader, workers: dict[str, str], session: Session
    ) -> None:
        connection_id = connect(client, trader).json()["id"]
        client.post(
            f"/internal/v1/broker-connections/{connection_id}/sync",
            json={"status": "active", "last_synced_at": "2099-01-01T00:00:00Z"},
            headers=workers,
        )
        assert client.get("/internal/v1/broker-connections/due", headers=workers).json() == {
            "items": []
        }
        response = client.post(
            f"/v1/broker-connections/{connection_id}/sync", headers=trader.headers
        )
        assert response.status_code == 202
        due = client.get("/internal/v1/broker-connections/due", headers=workers).json()
        assert [item["connection_id"] for item in due["items"]] == [connection_id]
        [event] = events_of(session, trader.id, "broker_connection.sync_requested.v1")
        assert_valid_event(event)

    def test_disconnecting_destroys_the_sealed_secrets(
        self, client: TestClient, trader: Trader, workers: dict[str, str], session: Session
    ) -> None:
        connection_id = connect(client, trader).json()["id"]
        path = f"/v1/broker-connections/{connection_id}"
        assert client.delete(path, headers=trader.headers).status_code == 204
        assert client.get("/v1/broker-connections", headers=trader.headers).json() == {"items": []}
        assert credentials(client, workers, connection_id).status_code == 404
        blobs = session.scalars(
            select(BrokerSecretRecord).where(
                BrokerSecretRecord.connection_id == uuid.UUID(connection_id)
            )
        ).all()
        assert blobs == []

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"api_secret": None}, "body.api_secret"),
            ({"api_key_id": None, "api_secret": None}, "body.api_key_id"),
            ({"oauth_code": "abc"}, "body.oauth_code"),
            ({"label": ""}, "body.label"),
            ({"broker": "nobroker"}, "body.broker"),
        ],
    )
    def test_an_incomplete_connection_is_refused_naming_the_field(
        self, client: TestClient, trader: Trader, overrides: dict[str, Any], field: str
    ) -> None:
        response = connect(client, trader, **overrides)
        assert response.status_code == 422
        assert field in [error["location"] for error in response.json()["errors"]]
        assert client.get("/v1/broker-connections", headers=trader.headers).json() == {"items": []}


class TestSealedBlobs:
    def test_a_blob_copied_to_another_connection_fails_to_open(
        self,
        app: FastAPI,
        client: TestClient,
        trader: Trader,
        other_trader: Trader,
        workers: dict[str, str],
        session: Session,
    ) -> None:
        mine = connect(client, trader).json()["id"]
        theirs = connect(client, other_trader, api_secret="their-secret").json()["id"]
        blobs = {
            record.connection_id: record
            for record in session.scalars(
                select(BrokerSecretRecord).where(BrokerSecretRecord.kind == "api_secret")
            )
        }
        blobs[uuid.UUID(theirs)].blob = blobs[uuid.UUID(mine)].blob
        session.commit()
        sealed = credentials(client, workers, theirs).json()
        with pytest.raises(TamperedError):
            open_secrets(app, sealed)

    def test_a_blob_opens_only_as_the_kind_it_was_sealed_for(
        self, app: FastAPI, client: TestClient, trader: Trader, workers: dict[str, str]
    ) -> None:
        sealed = credentials(client, workers, connect(client, trader).json()["id"]).json()
        blob = base64.urlsafe_b64decode(sealed["secrets"]["api_secret"])
        wrong = SealContext(
            purpose="broker-connection",
            user_id=trader.id,
            connection_id=uuid.UUID(sealed["connection_id"]),
            kind="api_key_id",
        )
        with pytest.raises(TamperedError):
            Opener(app.state.core.sealing).open(blob, wrong)


class TestIsolation:
    @pytest.mark.parametrize(
        ("method", "suffix"),
        [("GET", ""), ("DELETE", ""), ("POST", "/sync")],
    )
    def test_another_trader_s_connection_is_not_found(
        self, client: TestClient, trader: Trader, other_trader: Trader, method: str, suffix: str
    ) -> None:
        connection_id = connect(client, trader).json()["id"]
        response = client.request(
            method, f"/v1/broker-connections/{connection_id}{suffix}", headers=other_trader.headers
        )
        assert response.status_code == 404
        assert client.get("/v1/broker-connections", headers=other_trader.headers).json() == {
            "items": []
        }
        [still] = client.get("/v1/broker-connections", headers=trader.headers).json()["items"]
        assert still["id"] == connection_id

    def test_a_connection_into_another_trader_s_account_is_not_found(
        self, client: TestClient, trader: Trader, other_trader: Trader
    ) -> None:
        response = connect(client, trader, account_id=str(other_trader.account_id))
        assert response.status_code == 404

    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("GET", "/internal/v1/broker-connections/due"),
            ("GET", "/internal/v1/broker-connections/{id}/credentials"),
            ("POST", "/internal/v1/broker-connections/{id}/sync"),
        ],
    )
    def test_internal_routes_refuse_a_user_token(
        self, client: TestClient, trader: Trader, method: str, path: str
    ) -> None:
        connection_id = connect(client, trader).json()["id"]
        response = client.request(
            method,
            path.format(id=connection_id),
            json={"status": "active"},
            headers=trader.headers,
        )
        assert response.status_code == 401

    def test_an_unknown_connection_is_not_found_for_workers(
        self, client: TestClient, workers: dict[str, str]
    ) -> None:
        unknown = uuid.uuid4()
        assert credentials(client, workers, str(unknown)).status_code == 404
        response = client.post(
            f"/internal/v1/broker-connections/{unknown}/sync",
            json={"status": "active"},
            headers=workers,
        )
        assert response.status_code == 404


class TestSecretsNeverLeak:
    def test_planted_secrets_stay_out_of_logs_responses_events_and_errors(
        self,
        client: TestClient,
        trader: Trader,
        workers: dict[str, str],
        session: Session,
        caplog: pytest.LogCaptureFixture,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        responses: list[str] = []
        with caplog.at_level(logging.DEBUG):
            created = connect(client, trader)
            connection_id = created.json()["id"]
            path = f"/internal/v1/broker-connections/{connection_id}"
            responses += [
                created.text,
                client.get("/v1/broker-connections", headers=trader.headers).text,
                client.get(f"/v1/broker-connections/{connection_id}", headers=trader.headers).text,
                client.get("/internal/v1/broker-connections/due", headers=workers).text,
                client.get(f"{path}/credentials", headers=workers).text,
                client.post(
                    f"{path}/sync",
                    json={"status": "active", "access_token": ACCESS, "refresh_token": REFRESH},
                    headers=workers,
                ).text,
            ]
            errors = [
                # Invalid bodies that carry the secrets: the problem must not echo them.
                connect(client, trader, label="x" * 101),
                connect(client, trader, api_key_id=None),
                connect(client, trader, oauth_code=ACCESS),
                connect(client, trader, account_id=str(uuid.uuid4())),
                client.post(
                    f"{path}/sync",
                    json={"status": "nope", "access_token": ACCESS, "refresh_token": REFRESH},
                    headers=workers,
                ),
                client.post(
                    f"{path}/sync",
                    json={"status": "active", "access_token": ACCESS, "extra": SECRET},
                    headers=workers,
                ),
            ]
            assert all(response.status_code >= 400 for response in errors)
            responses += [response.text for response in errors]
        events = session.scalars(select(OutboxRecord).where(OutboxRecord.user_id == trader.id))
        event_text = " ".join(str(record.event) for record in events)
        assert "broker_connection.synced.v1" in event_text
        stored = session.scalars(
            select(BrokerConnectionRecord).where(BrokerConnectionRecord.user_id == trader.id)
        ).all()
        captured = capsys.readouterr()
        places = {
            "logs": caplog.text + " ".join(str(r.args) for r in caplog.records),
            "stdout and stderr": captured.out + captured.err,
            "responses": " ".join(responses),
            "events": event_text,
            "connection rows": " ".join(str(vars(record)) for record in stored),
        }
        for where, text in places.items():
            for secret in PLANTED:
                assert secret not in text, f"{where} hold a planted secret"


@pytest.fixture
def rotated_app(settings: Settings, sessions: sessionmaker[Session]) -> Iterator[FastAPI]:
    """The app after a rotation: k2 promoted, k1 retired, no blob re-sealed."""
    app = create_app(
        settings.model_copy(update={"sealing_keys": ring_setting("k2", retired=("k1",))}),
        sessions=sessions,
    )
    yield app
    app.state.core.engine.dispose()


class TestRetiredKeys:
    def test_a_connection_sealed_under_a_retired_key_is_refused_and_marked_broken(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        rotated_app: FastAPI,
    ) -> None:
        old = create_app(
            settings.model_copy(update={"sealing_keys": ring_setting("k1")}), sessions=sessions
        )
        with TestClient(old) as client:
            trader = make_trader(client)
            connection_id = connect(client, trader).json()["id"]
        old.state.core.engine.dispose()
        with TestClient(rotated_app) as client:
            response = credentials(client, service_headers(client), connection_id)
            assert response.status_code == 409
            assert "'k1'" in response.json()["detail"]
            [listed] = client.get("/v1/broker-connections", headers=trader.headers).json()["items"]
            assert (listed["status"], listed["status_detail"]) == ("broken", "sealing_key_retired")
