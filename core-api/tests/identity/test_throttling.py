from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from core_api.app import create_app
from core_api.config import Settings
from core_api.identity.models import LoginThrottleRecord
from core_api.identity.throttling import Policy
from core_api.kit.clock import utcnow
from tests.conftest import PASSWORD, make_trader

WRONG = "wrong-password-123"


@pytest.fixture
def strict(settings: Settings, sessions: sessionmaker[Session]) -> Iterator[TestClient]:
    """A client of an app that locks an account after 2 failures and an address after 4."""
    tight = settings.model_copy(
        update={
            "login_account_failures": 2,
            "login_address_failures": 4,
            "login_lockout_seconds": 60,
            "trusted_proxies": ["testclient"],
        }
    )
    app = create_app(tight, sessions=sessions)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client
    app.state.core.engine.dispose()


def login(client: TestClient, email: str, password: str, address: str = "203.0.113.9") -> int:
    response = client.post(
        "/v1/auth/login",
        json={"email": email, "password": password},
        headers={"X-Forwarded-For": address},
    )
    return response.status_code


class TestAccountLockout:
    def test_after_the_free_failures_even_the_right_password_waits(
        self, strict: TestClient
    ) -> None:
        trader = make_trader(strict)
        assert [login(strict, trader.email, WRONG) for _ in range(2)] == [401, 401]
        response = strict.post("/v1/auth/login", json={"email": trader.email, "password": PASSWORD})
        assert response.status_code == 429
        assert response.headers["content-type"] == "application/problem+json"
        assert 1 <= int(response.headers["retry-after"]) <= 60

    def test_an_unknown_email_is_locked_out_exactly_like_a_registered_one(
        self, strict: TestClient
    ) -> None:
        trader = make_trader(strict)
        known = [login(strict, trader.email, WRONG, "198.51.100.1") for _ in range(3)]
        unknown = [login(strict, "nobody@example.com", WRONG, "198.51.100.2") for _ in range(3)]
        assert known == unknown == [401, 401, 429]

    def test_the_lockout_ends_when_its_window_passes(
        self, strict: TestClient, session: Session
    ) -> None:
        trader = make_trader(strict)
        for _ in range(2):
            login(strict, trader.email, WRONG)
        session.execute(
            update(LoginThrottleRecord).values(locked_until=utcnow() - dt.timedelta(seconds=1))
        )
        assert login(strict, trader.email, PASSWORD) == 200

    def test_a_successful_log_in_forgets_earlier_failures(self, strict: TestClient) -> None:
        trader = make_trader(strict)
        assert login(strict, trader.email, WRONG) == 401
        assert login(strict, trader.email, PASSWORD) == 200
        assert login(strict, trader.email, WRONG) == 401
        assert login(strict, trader.email, PASSWORD) == 200

    def test_the_lockout_is_logged_without_the_password_or_the_email(
        self, strict: TestClient, caplog: pytest.LogCaptureFixture
    ) -> None:
        trader = make_trader(strict)
        with caplog.at_level(logging.WARNING, logger="core_api.identity.throttling"):
            for _ in range(2):
                login(strict, trader.email, WRONG)
        assert "log-in locked for 60 s after 2 failures: account:" in caplog.text
        assert WRONG not in caplog.text
        assert trader.email not in caplog.text

    def test_re_entered_passwords_count_against_the_account(self, strict: TestClient) -> None:
        trader = make_trader(strict)
        for _ in range(2):
            strict.post(
                "/v1/auth/password",
                json={"current_password": WRONG, "new_password": "another passphrase"},
                headers=trader.headers,
            )
        assert login(strict, trader.email, PASSWORD) == 429


class TestAddressLockout:
    def test_many_emails_from_one_address_lock_that_address_only(self, strict: TestClient) -> None:
        statuses = [login(strict, f"guess{n}@example.com", WRONG) for n in range(5)]
        assert statuses == [401, 401, 401, 401, 429]
        assert login(strict, "fresh@example.com", WRONG, address="192.0.2.77") == 401

    def test_forwarded_for_from_an_untrusted_peer_is_ignored(
        self, settings: Settings, sessions: sessionmaker[Session]
    ) -> None:
        app = create_app(settings.model_copy(update={"login_address_failures": 2}), sessions)
        with TestClient(app, raise_server_exceptions=False) as client:
            for n in range(2):
                login(client, f"guess{n}@example.com", WRONG, address=f"192.0.2.{n}")
            assert login(client, "other@example.com", WRONG, address="192.0.2.99") == 429
        app.state.core.engine.dispose()


class TestPolicy:
    def test_the_window_doubles_per_failure_up_to_the_cap(self) -> None:
        policy = Policy(free_failures=3, lockout_seconds=30, max_lockout_seconds=200)
        windows = [policy.lockout(n) for n in range(1, 8)]
        assert windows == [None, None] + [dt.timedelta(seconds=s) for s in (30, 60, 120, 200, 200)]
