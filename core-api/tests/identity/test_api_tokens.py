from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from core_api.identity.models import ApiTokenRecord
from tests.conftest import PASSWORD, Trader


def create(client: TestClient, trader: Trader, scopes: list[str], **extra: Any) -> dict[str, Any]:
    response = client.post(
        "/v1/api-tokens",
        json={"name": "cli", "scopes": scopes, **extra},
        headers=trader.headers,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class TestCreating:
    def test_the_secret_is_shown_once_and_stored_only_as_its_digest(
        self, client: TestClient, trader: Trader, session: Session
    ) -> None:
        created = create(client, trader, ["read"])
        assert created["token"].startswith("tlp_")
        assert len(created["token"]) >= 4 + 43
        listed = client.get("/v1/api-tokens", headers=trader.headers).json()["items"]
        assert [token["id"] for token in listed] == [created["id"]]
        assert "token" not in listed[0]
        record = session.scalars(select(ApiTokenRecord)).one()
        assert record.token_hash == hashlib.sha256(created["token"].encode()).hexdigest()
        assert created["token"] not in str(vars(record))

    def test_an_expiry_in_the_past_is_named(self, client: TestClient, trader: Trader) -> None:
        response = client.post(
            "/v1/api-tokens",
            json={"name": "x", "scopes": ["read"], "expires_at": "2020-01-01T00:00:00Z"},
            headers=trader.headers,
        )
        assert response.status_code == 422
        assert [e["location"] for e in response.json()["errors"]] == ["body.expires_at"]

    def test_unknown_scopes_are_named(self, client: TestClient, trader: Trader) -> None:
        response = client.post(
            "/v1/api-tokens", json={"name": "x", "scopes": ["admin"]}, headers=trader.headers
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["location"] == "body.scopes.0"


class TestUsing:
    def test_a_read_token_reads_and_records_its_use(
        self, client: TestClient, trader: Trader
    ) -> None:
        token = create(client, trader, ["read"])
        response = client.get("/v1/me", headers=bearer(token["token"]))
        assert response.status_code == 200
        assert response.json()["id"] == str(trader.id)
        [listed] = client.get("/v1/api-tokens", headers=trader.headers).json()["items"]
        assert listed["last_used_at"] is not None

    def test_a_read_token_on_a_write_route_is_forbidden(
        self, client: TestClient, trader: Trader
    ) -> None:
        token = create(client, trader, ["read"])["token"]
        response = client.post(
            "/v1/journal/entries",
            json={"day": "2026-03-02", "body": "from the cli"},
            headers=bearer(token),
        )
        assert response.status_code == 403
        assert response.headers["content-type"] == "application/problem+json"

    def test_a_write_token_writes_and_reads(self, client: TestClient, trader: Trader) -> None:
        token = create(client, trader, ["write"])["token"]
        response = client.post(
            "/v1/journal/entries",
            json={"day": "2026-03-02", "body": "from the cli"},
            headers=bearer(token),
        )
        assert response.status_code == 201
        assert client.get("/v1/journal/entries", headers=bearer(token)).status_code == 200

    def test_a_revoked_token_is_refused(self, client: TestClient, trader: Trader) -> None:
        token = create(client, trader, ["read"])
        revoked = client.delete(f"/v1/api-tokens/{token['id']}", headers=trader.headers)
        assert revoked.status_code == 204
        assert client.get("/v1/me", headers=bearer(token["token"])).status_code == 401
        [listed] = client.get("/v1/api-tokens", headers=trader.headers).json()["items"]
        assert listed["revoked_at"] is not None

    def test_an_expired_token_is_refused(
        self, client: TestClient, trader: Trader, session: Session
    ) -> None:
        expires = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()
        token = create(client, trader, ["read"], expires_at=expires)
        record = session.get(ApiTokenRecord, uuid.UUID(token["id"]))
        assert record is not None
        record.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        session.flush()
        assert client.get("/v1/me", headers=bearer(token["token"])).status_code == 401

    @pytest.mark.parametrize("token", ["tlp_made-up", "tlp_"])
    def test_an_unknown_token_is_refused(self, client: TestClient, token: str) -> None:
        assert client.get("/v1/me", headers=bearer(token)).status_code == 401

    @pytest.mark.parametrize(
        ("method", "path", "body"),
        [
            ("POST", "/v1/api-tokens", {"name": "more", "scopes": ["write"]}),
            ("GET", "/v1/api-tokens", None),
            ("POST", "/v1/auth/password", {"current_password": PASSWORD, "new_password": "x" * 12}),
            ("DELETE", "/v1/me", {"password": PASSWORD}),
        ],
    )
    def test_account_level_routes_need_a_signed_in_session(
        self,
        client: TestClient,
        trader: Trader,
        method: str,
        path: str,
        body: dict[str, Any] | None,
    ) -> None:
        token = create(client, trader, ["read", "write"])["token"]
        response = client.request(method, path, json=body, headers=bearer(token))
        assert response.status_code == 403
        assert client.get("/v1/me", headers=trader.headers).status_code == 200


class TestIsolation:
    def test_another_trader_s_token_cannot_be_revoked_or_seen(
        self, client: TestClient, trader: Trader, other_trader: Trader
    ) -> None:
        token = create(client, trader, ["read"])
        response = client.delete(f"/v1/api-tokens/{token['id']}", headers=other_trader.headers)
        assert response.status_code == 404
        assert client.get("/v1/api-tokens", headers=other_trader.headers).json() == {"items": []}
        assert client.get("/v1/me", headers=bearer(token["token"])).status_code == 200
