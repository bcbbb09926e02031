"""Every route that takes an id answers 404 for another trader's id."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Trader, execution, make_trader
from tests.executions.test_endpoints import post_batch
from tests.imports.test_endpoints import upload


@dataclass(frozen=True)
class Owned:
    """Ids that belong to the owner."""

    owner: Trader
    account_id: str
    import_id: str
    position_id: str
    entry_id: str


@pytest.fixture
def owned(client: TestClient, workers: dict[str, str]) -> Owned:
    owner = make_trader(client)
    import_id = upload(client, owner).json()["id"]
    post_batch(client, workers, owner, [execution("b", "buy", "1", "10", "2026-03-02T15:00:00Z")])
    [position] = client.get("/v1/positions", headers=owner.headers).json()["items"]
    entry = client.post(
        "/v1/journal/entries", json={"day": "2026-03-02", "body": "mine"}, headers=owner.headers
    ).json()
    return Owned(owner, str(owner.account_id), import_id, position["id"], entry["id"])


ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/v1/imports/{import_id}", None),
    ("GET", "/v1/imports/{import_id}/raw", None),
    ("GET", "/v1/positions/{position_id}", None),
    ("GET", "/v1/positions?account_id={account_id}", None),
    ("GET", "/v1/statistics?account_id={account_id}", None),
    ("POST", "/v1/journal/entries", {"position_id": "{position_id}", "body": "x"}),
    ("PATCH", "/v1/journal/entries/{entry_id}", {"body": "not yours"}),
]


class TestAnotherTradersIds:
    @pytest.mark.parametrize(("method", "path", "body"), ROUTES)
    def test_public_routes_answer_not_found(
        self,
        client: TestClient,
        owned: Owned,
        trader: Trader,
        method: str,
        path: str,
        body: dict[str, Any] | None,
    ) -> None:
        ids = {
            "account_id": owned.account_id,
            "import_id": owned.import_id,
            "position_id": owned.position_id,
            "entry_id": owned.entry_id,
        }
        json = {k: v.format(**ids) for k, v in body.items()} if body else None
        response = client.request(method, path.format(**ids), json=json, headers=trader.headers)
        assert response.status_code == 404, response.text
        assert owned.owner.email not in response.text

    def test_an_upload_into_another_trader_s_account_is_not_found(
        self, client: TestClient, owned: Owned, trader: Trader
    ) -> None:
        response = client.post(
            "/v1/imports",
            files={"file": ("a.csv", b"x", "text/csv")},
            data={"account_id": owned.account_id},
            headers=trader.headers,
        )
        assert response.status_code == 404

    @pytest.mark.parametrize(
        ("method", "path", "body"),
        [
            ("GET", "/internal/users/{user_id}/imports/{import_id}", None),
            (
                "POST",
                "/internal/users/{user_id}/imports/{import_id}/progress",
                {"rows_processed": 1},
            ),
            (
                "POST",
                "/internal/users/{user_id}/imports/{import_id}/outcome",
                {"status": "failed", "counts": {}},
            ),
            (
                "POST",
                "/internal/users/{user_id}/executions/batch",
                {"account_id": "{account_id}", "executions": []},
            ),
        ],
    )
    def test_internal_routes_answer_not_found_under_another_user_id(
        self,
        client: TestClient,
        workers: dict[str, str],
        owned: Owned,
        trader: Trader,
        method: str,
        path: str,
        body: dict[str, Any] | None,
    ) -> None:
        ids = {
            "user_id": str(trader.id),
            "account_id": owned.account_id,
            "import_id": owned.import_id,
        }
        json = (
            {k: v.format(**ids) if isinstance(v, str) else v for k, v in body.items()}
            if body
            else None
        )
        response = client.request(method, path.format(**ids), json=json, headers=workers)
        assert response.status_code == 404, response.text


class TestUserTokensOnInternalRoutes:
    @pytest.mark.parametrize(
        "path",
        [
            "/internal/outbox/ack",
            "/internal/users/{user_id}/insights",
            "/internal/users/{user_id}/executions/batch",
        ],
    )
    def test_a_user_token_is_refused(self, client: TestClient, trader: Trader, path: str) -> None:
        response = client.post(path.format(user_id=trader.id), json={}, headers=trader.headers)
        assert response.status_code == 401


class TestBatchesNamingAnotherTradersImport:
    def test_a_batch_citing_another_trader_s_import_is_not_found(
        self, client: TestClient, workers: dict[str, str], owned: Owned, trader: Trader
    ) -> None:
        response = client.post(
            f"/internal/users/{trader.id}/executions/batch",
            json={
                "account_id": str(trader.account_id),
                "import_id": owned.import_id,
                "executions": [],
            },
            headers=workers,
        )
        assert response.status_code == 404
