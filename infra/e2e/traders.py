"""A new trader made through the public API, the way the mobile app and scripts do it:
one sign-up (edge limits auth calls per address), then a personal API token. Every
secret involved is planted (see planted.py)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import httpx

from .planted import SESSION_COOKIE, plant

PASSWORD = "api-trader-secret-42"


@dataclass(frozen=True)
class Trader:
    """`session` holds the headers a browser sends (cookie and CSRF token); `token` is
    a personal API token with read and write scopes; `account_id` the default account."""

    email: str
    session: dict[str, str]
    token: str
    account_id: str

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def sign_up(client: httpx.Client) -> Trader:
    """Signs a new trader up through `client` (based at the edge); AssertionError with
    the answer when a step is refused."""
    email = f"api-{uuid.uuid4().hex[:12]}@example.com"
    plant("password", PASSWORD)
    signup = client.post("/api/v1/auth/signup", json={"email": email, "password": PASSWORD})
    assert signup.status_code == 201, signup.text
    cookie = signup.cookies.get(SESSION_COOKIE)
    assert cookie, "signup set no session cookie"
    plant("session cookie", cookie)
    # The `__Host-` cookie is Secure: a plain-HTTP client keeps it but would not send it.
    client.cookies.clear()
    session = {
        "Cookie": f"{SESSION_COOKIE}={cookie}",
        "X-CSRF-Token": signup.headers["X-CSRF-Token"],
    }
    created = client.post(
        "/api/v1/api-tokens", json={"name": "e2e", "scopes": ["read", "write"]}, headers=session
    )
    assert created.status_code == 201, created.text
    token = created.json()["token"]
    plant("personal API token", token)
    accounts = client.get("/api/v1/accounts", headers=session)
    assert accounts.status_code == 200, accounts.text
    return Trader(email, session, token, accounts.json()["items"][0]["id"])
