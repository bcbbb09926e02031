from __future__ import annotations

import datetime as dt
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from core_api.identity.models import UserRecord
from core_api.identity.tokens import INTERNAL_AUDIENCE, PUBLIC_AUDIENCE
from tests.conftest import PASSWORD, Trader, make_trader, service_headers


def forge(app: FastAPI, **overrides: object) -> str:
    """A token signed with core's own key, with some claims or headers changed."""
    key = app.state.core.tokens.key
    now = dt.datetime.now(dt.UTC)
    claims: dict[str, object] = {
        "iss": "tradeloop-core",
        "aud": PUBLIC_AUDIENCE,
        "sub": str(uuid.uuid4()),
        "iat": now,
        "exp": now + dt.timedelta(minutes=5),
        "jti": "x",
    }
    headers = {"kid": key.kid}
    signing_key: object = key.private_key
    algorithm = "EdDSA"
    for name, value in overrides.items():
        if name == "headers":
            headers.update(value)  # type: ignore[call-overload]
        elif name == "signing_key":
            signing_key = value
        elif name == "algorithm":
            algorithm = str(value)
        elif value is None:
            claims.pop(name)
        else:
            claims[name] = value
    return jwt.encode(claims, signing_key, algorithm=algorithm, headers=headers)  # type: ignore[arg-type]


class TestSignup:
    def test_signup_returns_the_user_and_creates_a_default_account(
        self, client: TestClient
    ) -> None:
        trader = make_trader(client)
        accounts = client.get("/v1/accounts", headers=trader.headers).json()["items"]
        assert [
            (a["name"], a["base_currency"], a["time_zone"], a["matching_method"]) for a in accounts
        ] == [("Main", "USD", "America/New_York", "fifo")]

    def test_a_registered_email_cannot_sign_up_again(
        self, client: TestClient, trader: Trader
    ) -> None:
        response = client.post(
            "/v1/auth/signup", json={"email": trader.email.upper(), "password": PASSWORD}
        )
        assert response.status_code == 409

    def test_the_password_hash_is_argon2id(self, trader: Trader, session: Session) -> None:
        record = session.get(UserRecord, trader.id)
        assert record is not None
        assert record.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


class TestLogin:
    def test_unknown_email_and_wrong_password_get_the_same_answer(
        self, client: TestClient, trader: Trader
    ) -> None:
        wrong = client.post(
            "/v1/auth/login", json={"email": trader.email, "password": "nope-nope-nope"}
        )
        unknown = client.post(
            "/v1/auth/login", json={"email": "nobody@example.com", "password": "nope-nope-nope"}
        )
        assert wrong.status_code == unknown.status_code == 401
        assert wrong.json() == unknown.json() | {"instance": wrong.json()["instance"]}
        assert "password" not in wrong.text.lower().replace("email or password is wrong", "")

    def test_unknown_email_costs_about_as_much_as_a_wrong_password(
        self, client: TestClient, trader: Trader
    ) -> None:
        def timed(email: str) -> float:
            start = time.perf_counter()
            client.post("/v1/auth/login", json={"email": email, "password": "nope-nope-nope"})
            return time.perf_counter() - start

        timed(trader.email)
        wrong = min(timed(trader.email) for _ in range(3))
        unknown = min(timed("nobody@example.com") for _ in range(3))
        assert unknown > wrong / 3

    def test_the_access_token_carries_the_agreed_claims(
        self, client: TestClient, trader: Trader
    ) -> None:
        jwks = client.get("/.well-known/jwks.json").json()
        header = jwt.get_unverified_header(trader.token)
        [key] = [k for k in jwks["keys"] if k["kid"] == header["kid"]]
        assert (key["kty"], key["crv"]) == ("OKP", "Ed25519")
        assert "d" not in key
        claims = jwt.decode(
            trader.token,
            jwt.PyJWK(key).key,
            algorithms=["EdDSA"],
            audience="tradeloop-api",
            issuer="tradeloop-core",
        )
        assert claims["sub"] == str(trader.id)
        assert claims["exp"] - claims["iat"] == 15 * 60
        assert claims["jti"]

    def test_me_is_the_token_s_trader(self, client: TestClient, trader: Trader) -> None:
        body = client.get("/v1/me", headers=trader.headers).json()
        assert (body["id"], body["email"]) == (str(trader.id), trader.email)


class TestRefresh:
    def test_refresh_rotates_the_pair(self, client: TestClient, trader: Trader) -> None:
        response = client.post("/v1/auth/refresh", json={"refresh_token": trader.refresh_token})
        assert response.status_code == 200
        pair = response.json()
        assert pair["refresh_token"] != trader.refresh_token
        me = client.get("/v1/me", headers={"Authorization": f"Bearer {pair['access_token']}"})
        assert me.status_code == 200

    def test_reusing_a_refresh_token_revokes_its_whole_family(
        self, client: TestClient, trader: Trader
    ) -> None:
        rotated = client.post("/v1/auth/refresh", json={"refresh_token": trader.refresh_token})
        replay = client.post("/v1/auth/refresh", json={"refresh_token": trader.refresh_token})
        assert replay.status_code == 401
        newest = client.post(
            "/v1/auth/refresh", json={"refresh_token": rotated.json()["refresh_token"]}
        )
        assert newest.status_code == 401

    def test_logout_ends_the_family(self, client: TestClient, trader: Trader) -> None:
        assert (
            client.post("/v1/auth/logout", json={"refresh_token": trader.refresh_token}).status_code
            == 204
        )
        response = client.post("/v1/auth/refresh", json={"refresh_token": trader.refresh_token})
        assert response.status_code == 401

    def test_an_unknown_refresh_token_is_refused(self, client: TestClient) -> None:
        response = client.post("/v1/auth/refresh", json={"refresh_token": "made-up"})
        assert response.status_code == 401


class TestAccessTokens:
    def test_a_missing_token_is_refused(self, client: TestClient) -> None:
        response = client.get("/v1/me")
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"

    @pytest.mark.parametrize(
        "overrides",
        [
            pytest.param({"exp": dt.datetime(2020, 1, 1, tzinfo=dt.UTC)}, id="expired"),
            pytest.param({"aud": INTERNAL_AUDIENCE}, id="wrong-audience"),
            pytest.param({"iss": "someone-else"}, id="wrong-issuer"),
            pytest.param({"exp": None}, id="no-expiry"),
            pytest.param({"signing_key": Ed25519PrivateKey.generate()}, id="wrongly-signed"),
            pytest.param({"headers": {"jku": "https://evil.example/jwks"}}, id="jku-header"),
            pytest.param({"algorithm": "HS256", "signing_key": "a" * 32}, id="hs256"),
            pytest.param({"algorithm": "none", "signing_key": None}, id="alg-none"),
        ],
    )
    def test_bad_tokens_are_refused(
        self, app: FastAPI, client: TestClient, overrides: dict[str, object]
    ) -> None:
        token = forge(app, **overrides)
        response = client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401

    def test_a_token_signed_by_core_for_the_api_is_accepted(
        self, app: FastAPI, client: TestClient, trader: Trader
    ) -> None:
        token = forge(app, sub=str(trader.id))
        assert client.get("/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200


class TestServiceTokens:
    def test_a_service_gets_an_internal_token(self, client: TestClient, app: FastAPI) -> None:
        token = service_headers(client, "ai-coach")["Authorization"].removeprefix("Bearer ")
        claims = app.state.core.tokens.verify(token, INTERNAL_AUDIENCE)
        assert claims.subject == "service:ai-coach"

    @pytest.mark.parametrize(
        ("client_id", "secret"),
        [("workers", "not-the-secret-4711"), ("stranger", "dev-stranger-secret")],
    )
    def test_wrong_client_credentials_are_refused(
        self, client: TestClient, client_id: str, secret: str
    ) -> None:
        response = client.post(
            "/internal/token", json={"client_id": client_id, "client_secret": secret}
        )
        assert response.status_code == 401
        assert secret not in response.text

    def test_a_user_token_cannot_call_the_internal_api(
        self, client: TestClient, trader: Trader
    ) -> None:
        response = client.post("/internal/outbox/claim", json={}, headers=trader.headers)
        assert response.status_code == 401

    def test_a_service_token_cannot_call_the_public_api(
        self, client: TestClient, workers: dict[str, str]
    ) -> None:
        assert client.get("/v1/me", headers=workers).status_code == 401


class TestSignupValidation:
    def test_an_unknown_time_zone_is_named(self, client: TestClient) -> None:
        response = client.post(
            "/v1/auth/signup",
            json={"email": "tz@example.com", "password": PASSWORD, "time_zone": "Mars/Olympus"},
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["location"] == "body.time_zone"


class TestPreferences:
    def test_a_trader_changes_time_zone_and_base_currency(
        self, client: TestClient, trader: Trader
    ) -> None:
        response = client.patch(
            "/v1/me",
            json={"time_zone": "Europe/Berlin", "base_currency": "EUR"},
            headers=trader.headers,
        )
        assert response.status_code == 200, response.text
        me = client.get("/v1/me", headers=trader.headers).json()
        assert (me["time_zone"], me["base_currency"]) == ("Europe/Berlin", "EUR")

    def test_fields_left_out_keep_their_value(self, client: TestClient, trader: Trader) -> None:
        client.patch("/v1/me", json={"base_currency": "GBP"}, headers=trader.headers)
        me = client.get("/v1/me", headers=trader.headers).json()
        assert (me["time_zone"], me["base_currency"]) == ("UTC", "GBP")

    @pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "localtime", "../etc/passwd", ""])
    def test_a_time_zone_that_is_not_iana_is_a_problem_naming_it(
        self, client: TestClient, trader: Trader, zone: str
    ) -> None:
        response = client.patch("/v1/me", json={"time_zone": zone}, headers=trader.headers)
        assert response.status_code == 422
        assert response.json()["errors"][0]["location"] == "body.time_zone"

    def test_a_currency_that_is_not_iso_is_a_problem_naming_it(
        self, client: TestClient, trader: Trader
    ) -> None:
        response = client.patch("/v1/me", json={"base_currency": "usd"}, headers=trader.headers)
        assert response.status_code == 422
        assert response.json()["errors"][0]["location"] == "body.base_currency"
