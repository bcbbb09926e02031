"""A local stand-in for core: JWKS and EdDSA user tokens, personal API tokens, service tokens,
accounts, positions, playbooks, insights.

It speaks with the published contracts package's own models, so what ai-coach reads and
sends is checked against the real contracts, not against ai-coach's generated copy.
"""

from __future__ import annotations

import datetime as dt
import secrets
import socket
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import jwt
import uvicorn
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from tradeloop_contracts import (
    Account,
    AccountList,
    Adherence,
    Insight,
    InsightCreate,
    InsightList,
    JournalEntry,
    JournalEntryPage,
    Playbook,
    PlaybookList,
    Position,
    PositionPage,
    ServiceToken,
    ServiceTokenRequest,
    User,
    Violation,
    ViolationPage,
)

ISSUER = "tradeloop-core"
CLIENT_SECRET = "stub-ai-coach-secret"
KEY_ID = "stub-key-1"


class StubCore:
    """The state of the stand-in; tests read and change it directly."""

    def __init__(self) -> None:
        self.signing_key = Ed25519PrivateKey.generate()
        self.positions: dict[uuid.UUID, list[Position]] = defaultdict(list)
        # Each trader's accounts; a position filter naming another account is a 404.
        self.accounts: dict[uuid.UUID, list[Account]] = defaultdict(list)
        self.journal: dict[uuid.UUID, list[JournalEntry]] = defaultdict(list)
        self.playbooks: dict[uuid.UUID, list[Playbook]] = defaultdict(list)
        self.stored: dict[uuid.UUID, list[Insight]] = defaultdict(list)
        self.reviews: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
        self.violations: dict[uuid.UUID, list[Violation]] = defaultdict(list)
        # Each trader's plan adherence as core computes it (none: no plan), and the
        # (user, start, end) of every request for it.
        self.adherence: dict[uuid.UUID, Adherence] = {}
        self.adherence_requests: list[tuple[uuid.UUID, dt.date, dt.date]] = []
        self.position_requests: list[dict[str, str]] = []
        self.service_tokens: set[str] = set()
        self.page_size = 25
        self.healthy = True
        self.jwks_fetches = 0
        # Live personal API tokens: the secret -> its owner and scopes.
        self.personal_tokens: dict[str, tuple[uuid.UUID, frozenset[str]]] = {}
        self.me_requests = 0
        # The path and `traceparent` header of every request, in order (None when absent).
        self.traceparents: list[tuple[str, str | None]] = []
        self.app = self._build()

    def user_token(
        self,
        user_id: uuid.UUID,
        *,
        expires_in: int = 300,
        audience: str = "tradeloop-api",
        key: Ed25519PrivateKey | None = None,
    ) -> str:
        """An access JWT as core issues it (EdDSA, kid, iss, aud, sub, exp, iat, jti)."""
        return self._sign(str(user_id), audience, expires_in, key)

    def personal_token(
        self, user_id: uuid.UUID, scopes: frozenset[str] = frozenset({"read"})
    ) -> str:
        """A personal API token as core creates it (`tlp_` and 256 random bits)."""
        token = "tlp_" + secrets.token_urlsafe(32)
        self.personal_tokens[token] = (user_id, scopes)
        return token

    def service_jwt(self, client_id: str) -> str:
        """A service token as core issues it: subject `service:<client id>`, internal audience."""
        return self._sign(f"service:{client_id}", "tradeloop-internal", 300, None)

    def _sign(
        self, subject: str, audience: str, expires_in: int, key: Ed25519PrivateKey | None
    ) -> str:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": audience,
            "sub": subject,
            "iat": now,
            "exp": now + expires_in,
            "jti": secrets.token_hex(8),
        }
        return jwt.encode(
            claims, key or self.signing_key, algorithm="EdDSA", headers={"kid": KEY_ID}
        )

    def _require_service_token(self, request: Request) -> None:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self.service_tokens:
            raise HTTPException(401, "service token required")

    def _user_from_token(self, request: Request) -> uuid.UUID:
        # As core: a personal token needs `read` for a GET, `write` includes it.
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token.startswith("tlp_"):
            if token not in self.personal_tokens:
                raise HTTPException(401, "The API token is invalid, revoked or expired.")
            user_id, scopes = self.personal_tokens[token]
            if not scopes & {"read", "write"}:
                raise HTTPException(403, "The API token lacks the read scope.")
            return user_id
        try:
            claims = jwt.decode(
                token,
                self.signing_key.public_key(),
                algorithms=["EdDSA"],
                audience="tradeloop-api",
                issuer=ISSUER,
            )
        except jwt.PyJWTError as error:
            raise HTTPException(401, "user token required") from error
        return uuid.UUID(claims["sub"])

    def _build(self) -> FastAPI:
        app = FastAPI()

        @app.middleware("http")
        async def record_traceparent(
            request: Request, call_next: Callable[[Request], Awaitable[Response]]
        ) -> Response:
            self.traceparents.append((request.url.path, request.headers.get("traceparent")))
            return await call_next(request)

        @app.get("/healthz")
        async def healthz() -> JSONResponse:
            return JSONResponse({"status": "ok"}, status_code=200 if self.healthy else 503)

        @app.get("/.well-known/jwks.json")
        async def jwks() -> dict[str, Any]:
            self.jwks_fetches += 1
            public = jwt.algorithms.OKPAlgorithm.to_jwk(self.signing_key.public_key(), as_dict=True)
            return {"keys": [{**public, "kid": KEY_ID, "alg": "EdDSA", "use": "sig"}]}

        @app.post("/internal/token")
        async def token(body: ServiceTokenRequest) -> ServiceToken:
            if body.client_id != "ai-coach" or body.client_secret.get_secret_value() != (
                CLIENT_SECRET
            ):
                raise HTTPException(401, "bad client credentials")
            issued = secrets.token_urlsafe(16)
            self.service_tokens.add(issued)
            return ServiceToken(access_token=issued, expires_in=300)

        @app.get("/internal/users/{user_id}/positions")
        async def positions(
            request: Request,
            user_id: uuid.UUID,
            status: str,
            cursor: str = "0",
            limit: int = 50,
            account_id: uuid.UUID | None = None,
        ) -> PositionPage:
            self._require_service_token(request)
            self.position_requests.append(dict(request.query_params))
            if account_id is not None and all(a.id != account_id for a in self.accounts[user_id]):
                raise HTTPException(404, "account not found")
            matching = [
                p
                for p in self.positions[user_id]
                if p.status == status and account_id in (None, p.account_id)
            ]
            start = int(cursor)
            end = start + min(limit, self.page_size)
            return PositionPage(
                items=matching[start:end],
                next_cursor=str(end) if end < len(matching) else None,
            )

        @app.get("/internal/users/{user_id}/playbooks")
        async def playbooks(request: Request, user_id: uuid.UUID) -> PlaybookList:
            self._require_service_token(request)
            return PlaybookList(items=self.playbooks[user_id])

        @app.get("/internal/users/{user_id}/journal/entries")
        async def journal(
            request: Request, user_id: uuid.UUID, cursor: str = "0", limit: int = 50
        ) -> JournalEntryPage:
            self._require_service_token(request)
            entries = sorted(self.journal[user_id], key=lambda e: e.created_at, reverse=True)
            start = int(cursor)
            end = start + min(limit, self.page_size)
            return JournalEntryPage(
                items=entries[start:end], next_cursor=str(end) if end < len(entries) else None
            )

        @app.post("/internal/users/{user_id}/insights", status_code=201)
        async def create_insight(
            request: Request, user_id: uuid.UUID, body: InsightCreate
        ) -> Insight:
            self._require_service_token(request)
            stored = Insight(
                id=uuid.uuid4(), created_at=dt.datetime.now(dt.UTC), **body.model_dump()
            )
            self.stored[user_id].append(stored)
            return stored

        @app.post("/internal/users/{user_id}/reviews", status_code=201)
        async def create_review(request: Request, user_id: uuid.UUID) -> dict[str, Any]:
            # The shape of core's stored WeeklyReview: the body plus id and created_at.
            self._require_service_token(request)
            stored = {
                **(await request.json()),
                "id": str(uuid.uuid4()),
                "created_at": dt.datetime.now(dt.UTC).isoformat(),
            }
            self.reviews[user_id].append(stored)
            return stored

        @app.get("/v1/me")
        async def me(request: Request) -> User:
            self.me_requests += 1
            user_id = self._user_from_token(request)
            return User(
                id=user_id,
                email=f"{user_id.hex[:8]}@example.com",
                time_zone="UTC",
                base_currency="USD",
                created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
            )

        @app.get("/internal/users/{user_id}/violations")
        async def list_violations(
            request: Request, user_id: uuid.UUID, cursor: str = "0", limit: int = 50
        ) -> ViolationPage:
            self._require_service_token(request)
            start = int(cursor)
            end = start + min(limit, self.page_size)
            items = self.violations[user_id]
            return ViolationPage(
                items=items[start:end], next_cursor=str(end) if end < len(items) else None
            )

        @app.get("/internal/users/{user_id}/plan/adherence")
        async def plan_adherence(
            request: Request, user_id: uuid.UUID, start: dt.date, end: dt.date
        ) -> Adherence:
            self._require_service_token(request)
            self.adherence_requests.append((user_id, start, end))
            return self.adherence.get(user_id) or Adherence(
                rules=[], current_streak_days=0, longest_streak_days=0
            )

        @app.get("/v1/accounts")
        async def list_accounts(request: Request) -> AccountList:
            user_id = self._user_from_token(request)
            return AccountList(items=self.accounts[user_id])

        @app.get("/v1/insights")
        async def list_insights(request: Request) -> InsightList:
            user_id = self._user_from_token(request)
            return InsightList(items=list(reversed(self.stored[user_id])))

        return app


@contextmanager
def serve(app: FastAPI, *, logged: bool = False) -> Iterator[str]:
    """Serves an app with uvicorn on a free local port and yields its base URL.

    `logged`: uvicorn logs at INFO (access lines too) through the logging already
    configured, as `ai-coach serve` does.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    if logged:
        config = uvicorn.Config(app, log_level="info", log_config=None, ws="none", lifespan="on")
    else:
        config = uvicorn.Config(app, log_level="warning", ws="none", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()
