"""Every route that takes an id answers 404 for another trader's id, and every route that
needs a token answers 401 without a good one.

Both tables are checked against the app's own route list, so a new route fails here until
it is added to one of them.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import uuid
import zipfile
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from core_api.identity.tokens import INTERNAL_AUDIENCE, LEEWAY_SECONDS, PUBLIC_AUDIENCE
from tests.attachments.test_endpoints import png
from tests.bars.test_endpoints import bar, series
from tests.brokers.test_endpoints import connect
from tests.conftest import Trader, execution, make_trader, service_headers
from tests.executions.test_endpoints import post_batch
from tests.identity.test_endpoints import forge
from tests.mappings.test_endpoints import MAPPING, PREVIEW, save, waiting_import
from tests.plans.test_endpoints import backdate_plan
from tests.playbooks.test_endpoints import create as create_playbook
from tests.positions.test_excursions import EXCURSIONS
from tests.reviews.test_endpoints import review, store
from tests.strategies.test_endpoints import vertical

PNG = png()


@dataclass(frozen=True)
class Owned:
    """One of everything, owned by `owner`, by the name of the path parameter that cites it."""

    owner: Trader
    ids: dict[str, str]


@pytest.fixture
def owned(client: TestClient, workers: dict[str, str], session: Session) -> Owned:
    owner = make_trader(client)
    headers = owner.headers
    import_id = waiting_import(client, owner, workers)
    plan = {"rules": [{"name": "small", "params": {"kind": "max_position_size", "quantity": "1"}}]}
    assert client.put("/v1/plan", json=plan, headers=headers).status_code == 200
    backdate_plan(session, owner)
    post_batch(
        client,
        workers,
        owner,
        [
            execution("b", "buy", "10", "10", "2026-03-02T15:00:00Z"),
            execution("s", "sell", "10", "9", "2026-03-02T16:00:00Z"),
        ],
    )
    [position] = client.get("/v1/positions", headers=headers).json()["items"]
    fill = client.get(f"/v1/positions/{position['id']}", headers=headers).json()["executions"][0]
    post_batch(client, workers, owner, vertical())
    [strategy] = client.get("/v1/strategies", headers=headers).json()["items"]
    entry = client.post(
        "/v1/journal/entries", json={"day": "2026-03-02", "body": "mine"}, headers=headers
    ).json()
    attachments = {
        owner_path: client.post(
            f"{owner_path}/attachments",
            files={"file": ("chart.png", PNG, "image/png")},
            headers=headers,
        ).json()["id"]
        for owner_path in (f"/v1/positions/{position['id']}", f"/v1/journal/entries/{entry['id']}")
    }
    spec = client.put(
        f"/v1/accounts/{owner.account_id}/contract-specs/MES",
        json={"root": "MES", "point_value": "5", "tick_size": "0.25"},
        headers=headers,
    )
    assert spec.status_code == 200, spec.text
    token = client.post(
        "/v1/api-tokens", json={"name": "cli", "scopes": ["read"]}, headers=headers
    ).json()
    balance = client.patch(
        f"/v1/accounts/{owner.account_id}", json={"starting_balance": "10000"}, headers=headers
    )
    assert balance.status_code == 200, balance.text
    movement = client.post(
        f"/v1/accounts/{owner.account_id}/cash-movements",
        json={"occurred_at": "2026-03-01T12:00:00Z", "amount": "1000"},
        headers=headers,
    )
    assert movement.status_code == 201, movement.text
    [violation] = client.get("/v1/violations", headers=headers).json()["items"]
    stored_review = store(client, owner.id, review())
    assert stored_review.status_code == 201, stored_review.text
    playbook = create_playbook(client, owner)
    followed = client.put(
        f"/v1/positions/{position['id']}/playbook",
        json={"playbook_id": playbook["id"], "criteria_met": [playbook["criteria"][0]["id"]]},
        headers=headers,
    )
    assert followed.status_code == 200, followed.text
    return Owned(
        owner,
        {
            "account_id": str(owner.account_id),
            "root": "MES",
            "import_id": import_id,
            "position_id": position["id"],
            "execution_id": fill["id"],
            "entry_id": entry["id"],
            "position_attachment_id": attachments[f"/v1/positions/{position['id']}"],
            "entry_attachment_id": attachments[f"/v1/journal/entries/{entry['id']}"],
            "token_id": token["id"],
            "version": "1",
            "violation_id": violation["id"],
            "connection_id": connect(client, owner).json()["id"],
            "review_id": stored_review.json()["id"],
            "mapping_id": save(client, owner).json()["id"],
            "playbook_id": playbook["id"],
            "movement_id": movement.json()["id"],
            "strategy_id": strategy["id"],
        },
    )


def attachment_upload() -> dict[str, Any]:
    return {"files": {"file": ("chart.png", PNG, "image/png")}}


# (method, path) → what else the request carries. `owner_id` is the position or the
# journal entry, as the path's prefix says.
PUBLIC_ROUTES: dict[tuple[str, str], dict[str, Any]] = {
    ("PATCH", "/v1/accounts/{account_id}"): {"json": {"risk_unit": "100"}},
    ("GET", "/v1/accounts/{account_id}/balance"): {},
    ("GET", "/v1/accounts/{account_id}/cash-movements"): {},
    ("POST", "/v1/accounts/{account_id}/cash-movements"): {
        "json": {"occurred_at": "2026-03-01T12:00:00Z", "amount": "5"}
    },
    ("DELETE", "/v1/accounts/{account_id}/cash-movements/{movement_id}"): {},
    ("GET", "/v1/accounts/{account_id}/contract-specs"): {},
    ("GET", "/v1/accounts/{account_id}/contract-specs/{root}"): {},
    ("PUT", "/v1/accounts/{account_id}/contract-specs/{root}"): {
        "json": {"root": "MES", "point_value": "50", "tick_size": "0.25"}
    },
    ("DELETE", "/v1/accounts/{account_id}/contract-specs/{root}"): {},
    ("GET", "/v1/accounts/{account_id}/fee-schedule"): {},
    ("PUT", "/v1/accounts/{account_id}/fee-schedule"): {
        "json": {"rules": [{"asset_class": "stock", "per_share": "0.01"}]}
    },
    ("GET", "/v1/imports/{import_id}"): {},
    ("GET", "/v1/imports/{import_id}/raw"): {},
    ("GET", "/v1/imports/{import_id}/preview"): {},
    ("POST", "/v1/imports/{import_id}/mapping"): {"json": MAPPING},
    ("POST", "/v1/imports/{import_id}/undo"): {},
    ("GET", "/v1/positions/{position_id}"): {},
    ("DELETE", "/v1/positions/{position_id}"): {},
    ("POST", "/v1/positions"): {
        "json": {
            "account_id": "{account_id}",
            "instrument": {"asset_class": "stock", "symbol": "AAPL"},
            "direction": "long",
            "quantity": "1",
            "entry_at": "2026-03-02T15:00:00Z",
            "entry_price": "10",
        }
    },
    ("POST", "/v1/executions"): {
        "json": {
            "account_id": "{account_id}",
            "executed_at": "2026-03-02T15:00:00Z",
            "instrument": {"asset_class": "stock", "symbol": "AAPL"},
            "side": "buy",
            "quantity": "1",
            "price": "10",
        }
    },
    ("PATCH", "/v1/executions/{execution_id}"): {"json": {"price": "11"}},
    ("DELETE", "/v1/executions/{execution_id}"): {},
    ("PATCH", "/v1/positions/{position_id}"): {"json": {"initial_stop": "9.5"}},
    ("GET", "/v1/positions/{position_id}/bars"): {},
    ("POST", "/v1/positions/{owner_id}/attachments"): attachment_upload(),
    ("GET", "/v1/positions/{owner_id}/attachments"): {},
    ("GET", "/v1/positions/{owner_id}/attachments/{attachment_id}"): {},
    ("DELETE", "/v1/positions/{owner_id}/attachments/{attachment_id}"): {},
    ("GET", "/v1/positions/{owner_id}/attachments/{attachment_id}/thumbnail"): {},
    ("POST", "/v1/journal/entries/{owner_id}/attachments"): attachment_upload(),
    ("GET", "/v1/journal/entries/{owner_id}/attachments"): {},
    ("GET", "/v1/journal/entries/{owner_id}/attachments/{attachment_id}"): {},
    ("DELETE", "/v1/journal/entries/{owner_id}/attachments/{attachment_id}"): {},
    ("GET", "/v1/journal/entries/{owner_id}/attachments/{attachment_id}/thumbnail"): {},
    ("PATCH", "/v1/journal/entries/{entry_id}"): {"json": {"body": "not yours"}},
    ("DELETE", "/v1/api-tokens/{token_id}"): {},
    ("GET", "/v1/plan/versions/{version}"): {},
    ("GET", "/v1/plan/limits"): {},
    ("GET", "/v1/violations/{violation_id}"): {},
    ("GET", "/v1/broker-connections/{connection_id}"): {},
    ("DELETE", "/v1/broker-connections/{connection_id}"): {},
    ("POST", "/v1/broker-connections/{connection_id}/sync"): {},
    ("GET", "/v1/reviews/{review_id}"): {},
    ("GET", "/v1/column-mappings/{mapping_id}"): {},
    ("PUT", "/v1/column-mappings/{mapping_id}"): {
        "json": {"account_id": "{account_id}", "name": "mine now", "mapping": MAPPING}
    },
    ("DELETE", "/v1/column-mappings/{mapping_id}"): {},
    ("GET", "/v1/playbooks/{playbook_id}"): {},
    ("PATCH", "/v1/playbooks/{playbook_id}"): {"json": {"archived": True}},
    ("DELETE", "/v1/playbooks/{playbook_id}"): {},
    ("PUT", "/v1/positions/{position_id}/playbook"): {"json": {"playbook_id": None}},
    ("GET", "/v1/strategies/{strategy_id}"): {},
    # Ids in the query or the body rather than the path.
    ("GET", "/v1/positions?account_id={account_id}"): {},
    ("GET", "/v1/statistics?account_id={account_id}"): {},
    ("GET", "/v1/strategies?account_id={account_id}"): {},
    ("GET", "/v1/violations?position_id={position_id}"): {},
    ("GET", "/v1/violations?account_id={account_id}"): {},
    ("GET", "/v1/journal/entries?account_id={account_id}"): {},
    ("GET", "/v1/plan/adherence?account_id={account_id}"): {},
    ("GET", "/v1/plan/limits?account_id={account_id}"): {},
    ("GET", "/v1/playbooks?account_id={account_id}"): {},
    ("GET", "/v1/column-mappings?account_id={account_id}"): {},
    ("GET", "/v1/imports?account_id={account_id}"): {},
    ("GET", "/v1/positions?playbook_id={playbook_id}"): {},
    ("POST", "/v1/journal/entries"): {"json": {"position_id": "{position_id}", "body": "x"}},
    ("POST", "/v1/positions/tags"): {"json": {"position_ids": ["{position_id}"], "add": ["x"]}},
    ("POST", "/v1/broker-connections"): {
        "json": {
            "broker": "alpaca",
            "environment": "paper",
            "label": "Into another's account",
            "account_id": "{account_id}",
            "api_key_id": "PKTESTKEYID",
            "api_secret": "not-a-real-secret-value",
        }
    },
    ("POST", "/v1/column-mappings"): {
        "json": {"account_id": "{account_id}", "name": "x", "mapping": MAPPING}
    },
}

# Routes a service calls on behalf of the trader in the path: the intruder's user id with
# the owner's other ids. Values: (service, what else the request carries).
INTERNAL_ROUTES: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {
    ("GET", "/internal/users/{user_id}/imports/{import_id}"): ("workers", {}),
    ("POST", "/internal/users/{user_id}/imports/{import_id}/progress"): (
        "workers",
        {"json": {"rows_processed": 1}},
    ),
    ("POST", "/internal/users/{user_id}/imports/{import_id}/outcome"): (
        "workers",
        {"json": {"status": "failed", "counts": {}}},
    ),
    ("PUT", "/internal/users/{user_id}/imports/{import_id}/preview"): (
        "workers",
        {"json": PREVIEW},
    ),
    ("POST", "/internal/users/{user_id}/executions/batch"): (
        "workers",
        {"json": {"account_id": "{account_id}", "executions": []}},
    ),
    ("GET", "/internal/users/{user_id}/positions/{position_id}"): ("workers", {}),
    ("PUT", "/internal/users/{user_id}/positions/{position_id}/excursions"): (
        "workers",
        {"json": EXCURSIONS},
    ),
    ("PUT", "/internal/users/{user_id}/positions/{position_id}/bars"): (
        "workers",
        {"json": series(uuid.UUID(int=0), bar("2026-03-02T15:00:00Z", "10"))},
    ),
}

# Path-id routes where the id itself says whose the data is, so there is no other
# trader's id to try: a service acting on a broker connection by its id.
NOT_USER_SCOPED_BY_PATH = {
    ("GET", "/internal/v1/broker-connections/{connection_id}/credentials"),
    ("POST", "/internal/v1/broker-connections/{connection_id}/sync"),
    # Per user id only; any other user id is simply another (empty) trader.
    ("GET", "/internal/users/{user_id}/positions"),
    ("GET", "/internal/users/{user_id}/journal/entries"),
    ("GET", "/internal/users/{user_id}/insights"),
    ("POST", "/internal/users/{user_id}/insights"),
    ("POST", "/internal/users/{user_id}/reviews"),
    ("GET", "/internal/users/{user_id}/plan/adherence"),
    ("GET", "/internal/users/{user_id}/violations"),
    ("GET", "/internal/users/{user_id}/playbooks"),
}


def routes(app: FastAPI) -> list[tuple[str, str, bool]]:
    """(method, path, needs a token) of every route the app documents."""
    return [
        (method.upper(), path, bool(operation.get("security")))
        for path, operations in app.openapi()["paths"].items()
        for method, operation in operations.items()
    ]


def filled(value: Any, ids: dict[str, str]) -> Any:
    """`value` with `{name}` placeholders in its strings replaced by `ids`."""
    if isinstance(value, str):
        return re.sub(r"\{(\w+)\}", lambda match: ids.get(match[1], match[0]), value)
    if isinstance(value, list):
        return [filled(item, ids) for item in value]
    if isinstance(value, dict):
        return {key: filled(item, ids) for key, item in value.items()}
    return value


def owner_ids(owned: Owned, path: str) -> dict[str, str]:
    """The owner's ids; `owner_id` and `attachment_id` are the journal entry's or the
    position's, as the path's prefix says."""
    owner = "entry" if path.startswith("/v1/journal/") else "position"
    return {
        **owned.ids,
        "owner_id": owned.ids[f"{owner}_id"],
        "attachment_id": owned.ids[f"{owner}_attachment_id"],
    }


class TestEveryRouteIsListed:
    def test_every_route_with_an_id_in_its_path_is_tried(self, app: FastAPI) -> None:
        with_ids = {(method, path) for method, path, _ in routes(app) if "{" in path}
        tried = {key for key in PUBLIC_ROUTES if "{" in key[1].split("?")[0]}
        assert with_ids - tried - INTERNAL_ROUTES.keys() - NOT_USER_SCOPED_BY_PATH == set()

    def test_every_listed_route_exists(self, app: FastAPI) -> None:
        known = {(method, path) for method, path, _ in routes(app)}
        listed = {(method, path.split("?")[0]) for method, path in PUBLIC_ROUTES}
        assert listed | INTERNAL_ROUTES.keys() | NOT_USER_SCOPED_BY_PATH <= known


class TestAnotherTradersIds:
    @pytest.mark.parametrize(("method", "path"), list(PUBLIC_ROUTES))
    def test_public_routes_answer_not_found(
        self, client: TestClient, owned: Owned, trader: Trader, method: str, path: str
    ) -> None:
        ids = owner_ids(owned, path)
        extra = filled(PUBLIC_ROUTES[(method, path)], ids)
        response = client.request(method, filled(path, ids), headers=trader.headers, **extra)
        assert response.status_code == 404, response.text
        assert owned.owner.email not in response.text
        # The owner's data is untouched and still theirs.
        if "{" in path.split("?")[0]:
            owner_path = filled(path.split("?")[0], ids)
            owner_read = client.get(owner_path, headers=owned.owner.headers)
            assert owner_read.status_code in (200, 405), owner_read.text

    @pytest.mark.parametrize(("method", "path"), list(INTERNAL_ROUTES))
    def test_internal_routes_answer_not_found_under_another_user_id(
        self, client: TestClient, owned: Owned, trader: Trader, method: str, path: str
    ) -> None:
        service, extra = INTERNAL_ROUTES[(method, path)]
        ids = {**owned.ids, "user_id": str(trader.id)}
        response = client.request(
            method,
            filled(path, ids),
            headers=service_headers(client, service),
            **filled(extra, ids),
        )
        assert response.status_code == 404, response.text

    def test_an_upload_into_another_trader_s_account_is_not_found(
        self, client: TestClient, owned: Owned, trader: Trader
    ) -> None:
        response = client.post(
            "/v1/imports",
            files={"file": ("a.csv", b"x", "text/csv")},
            data={"account_id": owned.ids["account_id"]},
            headers=trader.headers,
        )
        assert response.status_code == 404

    def test_a_batch_citing_another_trader_s_import_is_not_found(
        self, client: TestClient, workers: dict[str, str], owned: Owned, trader: Trader
    ) -> None:
        response = client.post(
            f"/internal/users/{trader.id}/executions/batch",
            json={
                "account_id": str(trader.account_id),
                "import_id": owned.ids["import_id"],
                "executions": [],
            },
            headers=workers,
        )
        assert response.status_code == 404


def bad_tokens(app: FastAPI, audience: str, subject: str) -> dict[str, str | None]:
    """Credentials that must each get a 401, by what is wrong with them."""
    now = dt.datetime.now(dt.UTC)
    claims: dict[str, object] = {"aud": audience, "sub": subject}
    stranger = Ed25519PrivateKey.generate()
    return {
        "missing": None,
        "expired": forge(app, **claims, exp=now - dt.timedelta(seconds=LEEWAY_SECONDS + 1)),
        "signed by another key": forge(app, **claims, signing_key=stranger),
        "unsigned": forge(app, **claims, signing_key=None, algorithm="none"),
        "not a token": "not-a-token",
    }


class TestEveryRouteWithoutAGoodToken:
    def test_every_route_that_needs_a_token_answers_401(
        self, app: FastAPI, client: TestClient, trader: Trader
    ) -> None:
        guarded = [(method, path) for method, path, secured in routes(app) if secured]
        assert guarded
        filler = {"version": "1", "root": "MES"}
        for audience, subject, prefix in (
            (PUBLIC_AUDIENCE, str(trader.id), "/v1/"),
            (INTERNAL_AUDIENCE, "service:workers", "/internal/"),
        ):
            for what, token in bad_tokens(app, audience, subject).items():
                headers = {} if token is None else {"Authorization": f"Bearer {token}"}
                for method, path in guarded:
                    if not path.startswith(prefix):
                        continue
                    url = re.sub(
                        r"\{(\w+)\}", lambda match: filler.get(match[1], str(uuid.uuid4())), path
                    )
                    response = client.request(method, url, headers=headers)
                    assert response.status_code == 401, (what, method, path, response.text)
        assert {path.split("/")[1] for _, path in guarded} == {"v1", "internal"}

    def test_the_same_forged_tokens_are_accepted_when_nothing_is_wrong(
        self, app: FastAPI, client: TestClient, trader: Trader
    ) -> None:
        # The control for the test above: only the defect makes the difference.
        token = forge(app, aud=PUBLIC_AUDIENCE, sub=str(trader.id))
        response = client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.text
        service = forge(app, aud=INTERNAL_AUDIENCE, sub="service:workers")
        claimed = client.post(
            "/internal/outbox/claim", json={}, headers={"Authorization": f"Bearer {service}"}
        )
        assert claimed.status_code == 200, claimed.text


class TestUserTokensOnInternalRoutes:
    def test_a_user_token_is_refused_on_every_internal_route(
        self, app: FastAPI, client: TestClient, trader: Trader
    ) -> None:
        internal = [
            (m, p) for m, p, secured in routes(app) if secured and p.startswith("/internal")
        ]
        assert internal
        for method, path in internal:
            url = path.replace("{user_id}", str(trader.id))
            url = re.sub(r"\{(\w+)\}", lambda _: str(uuid.uuid4()), url)
            response = client.request(method, url, json={}, headers=trader.headers)
            assert response.status_code == 401, (method, path, response.text)


class TestArchives:
    def test_an_export_holds_nothing_of_another_trader(
        self, client: TestClient, owned: Owned, trader: Trader
    ) -> None:
        response = client.get("/v1/export", headers=trader.headers)
        assert response.status_code == 200
        archive = zipfile.ZipFile(io.BytesIO(response.content))
        everything = b"".join(archive.read(name) for name in archive.namelist())
        for name, owned_id in owned.ids.items():
            if name not in ("root", "version"):
                assert owned_id.encode() not in everything, name
        assert str(owned.owner.account_id).encode() not in everything
        assert b"mine" not in everything

    def test_a_restore_changes_the_acting_trader_only(
        self, client: TestClient, owned: Owned
    ) -> None:
        archive = client.get("/v1/export", headers=owned.owner.headers).content
        before = client.get("/v1/positions", headers=owned.owner.headers).json()
        fresh = make_trader(client)
        restored = client.post(
            "/v1/import-archive",
            files={"file": ("a.zip", archive, "application/zip")},
            headers=fresh.headers,
        )
        assert restored.status_code == 200, restored.text
        assert client.get("/v1/positions", headers=owned.owner.headers).json() == before
        theirs = client.get("/v1/positions", headers=fresh.headers).json()["items"]
        assert {p["id"] for p in theirs}.isdisjoint({p["id"] for p in before["items"]})
