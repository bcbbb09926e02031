"""Who a request acts for: the JWKS verifier (key caching, refetch limits, refused token
shapes) and personal API tokens checked by core."""

from __future__ import annotations

import asyncio
import io
import json
import uuid
from collections.abc import Iterator

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ai_coach.app import create_app
from ai_coach.auth import AuthenticatedUser, JwksVerifier, PersonalTokenChecker
from ai_coach.config import Settings
from ai_coach.errors import IssuerUnavailableError, UnauthenticatedError
from tests.factories import START, positions_of, trade
from tests.stub_core import ISSUER, StubCore, serve


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def verifier(core_url: str, clock: Clock) -> Iterator[JwksVerifier]:
    with httpx.Client() as http:
        yield JwksVerifier(
            f"{core_url}/.well-known/jwks.json", ISSUER, "tradeloop-api", http, clock=clock
        )


class TestJwksVerifier:
    def test_a_valid_token_gives_its_user(self, verifier: JwksVerifier, core: StubCore) -> None:
        user_id = uuid.uuid4()
        assert verifier.verify(core.user_token(user_id)).id == user_id

    def test_a_thousand_unknown_key_ids_fetch_the_key_set_at_most_once_more(
        self, verifier: JwksVerifier, core: StubCore
    ) -> None:
        verifier.verify(core.user_token(uuid.uuid4()))
        key = Ed25519PrivateKey.generate()
        for _ in range(1000):
            token = jwt.encode(
                {"sub": "x"}, key, algorithm="EdDSA", headers={"kid": uuid.uuid4().hex}
            )
            with pytest.raises(UnauthenticatedError):
                verifier.verify(token)
        assert core.jwks_fetches <= 2

    def test_keys_are_cached_between_tokens(self, verifier: JwksVerifier, core: StubCore) -> None:
        for _ in range(5):
            verifier.verify(core.user_token(uuid.uuid4()))
        assert core.jwks_fetches == 1

    def test_the_last_good_keys_keep_serving_while_the_issuer_is_down(
        self, verifier: JwksVerifier, core: StubCore, clock: Clock
    ) -> None:
        verifier.verify(core.user_token(uuid.uuid4()))
        core.app.router.routes = [
            r for r in core.app.router.routes if getattr(r, "path", "") != "/.well-known/jwks.json"
        ]
        clock.now += 3600
        user_id = uuid.uuid4()
        assert verifier.verify(core.user_token(user_id)).id == user_id

    def test_without_any_key_set_the_issuer_is_unavailable(self, core: StubCore) -> None:
        with httpx.Client() as http:
            verifier = JwksVerifier("http://127.0.0.1:9/jwks.json", ISSUER, "tradeloop-api", http)
            with pytest.raises(IssuerUnavailableError):
                verifier.verify(core.user_token(uuid.uuid4()))

    @pytest.mark.parametrize("algorithm", ["HS256", "none"])
    def test_symmetric_and_unsigned_tokens_are_refused(
        self, verifier: JwksVerifier, algorithm: str
    ) -> None:
        key = "a-shared-secret-that-is-long-enough-for-hs256" if algorithm == "HS256" else ""
        token = jwt.encode({"sub": str(uuid.uuid4())}, key, algorithm=algorithm)
        with pytest.raises(UnauthenticatedError, match="algorithm"):
            verifier.verify(token)

    def test_a_token_that_points_at_its_own_key_is_refused(
        self, verifier: JwksVerifier, core: StubCore
    ) -> None:
        tampered = jwt.encode(
            {"sub": "x"},
            core.signing_key,
            algorithm="EdDSA",
            headers={"kid": "stub-key-1", "jku": "https://evil.example/jwks"},
        )
        with pytest.raises(UnauthenticatedError, match="refused"):
            verifier.verify(tampered)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class TestPersonalTokens:
    def test_a_valid_token_is_accepted_and_core_is_asked_once_for_two_requests(
        self, coach: httpx.Client, core: StubCore
    ) -> None:
        token = core.personal_token(uuid.uuid4())

        answers = [coach.get("/v1/insights", headers=bearer(token)) for _ in range(2)]

        assert [answer.status_code for answer in answers] == [200, 200]
        assert core.me_requests == 1

    def test_the_token_acts_for_its_owner(self, coach: httpx.Client, core: StubCore) -> None:
        owner, other = uuid.uuid4(), uuid.uuid4()
        core.positions[owner] = positions_of([trade("100.00", 600, START)])
        core.positions[other] = positions_of([trade("-40.00", 600, START)])
        query = {"group_by": "symbol"}

        by_token = coach.get(
            "/v1/analytics", params=query, headers=bearer(core.personal_token(owner))
        )
        by_jwt = coach.get("/v1/analytics", params=query, headers=bearer(core.user_token(owner)))
        of_other = coach.get("/v1/analytics", params=query, headers=bearer(core.user_token(other)))

        assert by_token.status_code == 200
        assert by_token.json() == by_jwt.json()
        assert by_token.json() != of_other.json()

    def test_a_revoked_token_is_refused_with_401(self, coach: httpx.Client, core: StubCore) -> None:
        token = core.personal_token(uuid.uuid4())
        del core.personal_tokens[token]

        answer = coach.get("/v1/insights", headers=bearer(token))

        assert answer.status_code == 401
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.headers["www-authenticate"].startswith("Bearer")
        assert "revoked" in answer.json()["detail"]
        assert token not in answer.text

    def test_a_token_without_the_read_scope_is_refused_with_403(
        self, coach: httpx.Client, core: StubCore
    ) -> None:
        token = core.personal_token(uuid.uuid4(), frozenset())
        answer = coach.get("/v1/insights", headers=bearer(token))
        assert answer.status_code == 403
        assert "read scope" in answer.json()["detail"]

    def test_when_core_cannot_be_reached_the_answer_is_503_not_401(
        self, settings: Settings, core: StubCore
    ) -> None:
        down = settings.model_copy(update={"core_url": "http://127.0.0.1:9"})
        token = core.personal_token(uuid.uuid4())
        with serve(create_app(down)) as url, httpx.Client(base_url=url, timeout=30) as coach:
            answer = coach.get("/v1/insights", headers=bearer(token))
        assert answer.status_code == 503
        assert answer.headers["content-type"] == "application/problem+json"
        assert "core does not answer" in answer.json()["detail"]
        assert token not in answer.text

    def test_the_token_never_reaches_the_logs(
        self, settings: Settings, core: StubCore, log_stream: io.StringIO
    ) -> None:
        # `log_stream` last: the stand-in's server configures its own logging first.
        user_id = uuid.uuid4()
        token = core.personal_token(user_id)
        revoked = core.personal_token(uuid.uuid4())
        del core.personal_tokens[revoked]
        with (
            serve(create_app(settings), logged=True) as url,
            httpx.Client(base_url=url, timeout=30) as coach,
        ):
            coach.get("/v1/insights", headers=bearer(token))
            coach.get("/v1/insights", headers=bearer(revoked))

        output = log_stream.getvalue()
        lines = [json.loads(line) for line in output.splitlines()]
        assert any(line.get("user_id") == str(user_id) for line in lines), "the trader is named"
        assert any("/v1/me" in line["message"] for line in lines), "the call to core is logged"
        assert token not in output
        assert revoked not in output


class TestPersonalTokenChecker:
    def check(self, core_url: str, tokens: list[str], clock: Clock) -> list[AuthenticatedUser]:
        async def run() -> list[AuthenticatedUser]:
            async with httpx.AsyncClient(base_url=core_url) as http:
                checker = PersonalTokenChecker(http, cache_seconds=30, max_entries=2, clock=clock)
                users = []
                for token in tokens:
                    users.append(await checker.verify(token))
                    clock.now += 10
                return users

        return asyncio.run(run())

    def test_core_is_asked_again_once_the_answer_is_older_than_the_cache_time(
        self, core_url: str, core: StubCore, clock: Clock
    ) -> None:
        user_id = uuid.uuid4()
        token = core.personal_token(user_id)

        users = self.check(core_url, [token] * 5, clock)

        assert {user.id for user in users} == {user_id}
        # Asked at 0 s, remembered at 10 s and 20 s, asked again at 30 s, remembered at 40 s.
        assert core.me_requests == 2

    def test_at_most_the_configured_number_of_tokens_is_remembered(
        self, core_url: str, core: StubCore, clock: Clock
    ) -> None:
        first, second, third = (core.personal_token(uuid.uuid4()) for _ in range(3))

        self.check(core_url, [first, second, third, first], clock)

        assert core.me_requests == 4

    def test_a_token_revoked_after_its_cache_time_is_refused(
        self, core_url: str, core: StubCore, clock: Clock
    ) -> None:
        token = core.personal_token(uuid.uuid4())
        self.check(core_url, [token], clock)
        del core.personal_tokens[token]
        clock.now += 30

        with pytest.raises(UnauthenticatedError):
            self.check(core_url, [token], clock)
