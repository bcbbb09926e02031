"""Small stand-ins for core, web-ui and ai-coach, served on free local ports."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import secrets
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import jwt
import uvicorn
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from tradeloop_contracts import ImportFailed, make_event
from tradeloop_contracts.bus import open_bus

ISSUER = "tradeloop-core"
AUDIENCE = "tradeloop-api"
PASSWORD = "correct horse battery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def closed_url() -> str:
    """A URL nothing listens on."""
    return f"http://127.0.0.1:{free_port()}"


@contextmanager
def serve(app: Starlette, *, lifespan: bool = False) -> Iterator[str]:
    """Run `app` with uvicorn in a thread; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="error",
            lifespan="on" if lifespan else "off",
            ws_per_message_deflate=False,
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("stub server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@dataclass
class Issuer:
    """Signs access tokens the way core does: EdDSA with a kid."""

    kid: str = "key-1"
    key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)

    def jwks(self) -> dict[str, Any]:
        public = json.loads(OKPAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**public, "kid": self.kid, "alg": "EdDSA", "use": "sig"}]}

    def sign(self, subject: str, *, ttl: int = 900, **overrides: Any) -> str:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": subject,
            "iat": now,
            "exp": now + ttl,
            "jti": secrets.token_hex(8),
        }
        claims.update(overrides)
        headers = {"kid": self.kid}
        return jwt.encode(claims, self.key, algorithm="EdDSA", headers=headers)


@dataclass
class CoreStub:
    """Identity, statistics and positions, plus an echo of every other `/v1/...` call."""

    issuer: Issuer = field(default_factory=Issuer)
    access_ttl: int = 900
    users: dict[str, str] = field(default_factory=dict)
    refresh_tokens: dict[str, str] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)
    jwks_fetches: int = 0
    jwks_down: bool = False
    # Accounts created through POST /v1/accounts, and how long each creation takes.
    created: list[dict[str, Any]] = field(default_factory=list)
    create_delay: float = 0.0
    # While set, statistics are answered only once it is (a backend that hangs).
    hold_statistics: threading.Event | None = None
    # Account ids that are another trader's: statistics and positions filtered by one are 404.
    foreign_accounts: set[str] = field(default_factory=set)
    # While `hold_creates`, a creation says it started and waits until `release_creates`.
    hold_creates: bool = False
    create_started: threading.Event = field(default_factory=threading.Event)
    release_creates: threading.Event = field(default_factory=threading.Event)
    # When set, an upload publishes `import.failed.v1` for its user on this bus.
    bus_url: str | None = None
    # Personal API tokens core would accept, and whose they are.
    api_tokens: dict[str, str] = field(default_factory=dict)
    # An export sends its first chunk, then the rest only once `release_export` is set.
    release_export: threading.Event = field(default_factory=threading.Event)
    export_finished: threading.Event = field(default_factory=threading.Event)

    def add_api_token(self, user_id: str) -> str:
        token = f"tlp_{secrets.token_urlsafe(16)}"
        self.api_tokens[token] = user_id
        return token

    def add_user(self, email: str) -> str:
        user_id = str(uuid.uuid4())
        self.users[email] = user_id
        return user_id

    def _pair(self, user_id: str) -> dict[str, Any]:
        refresh = secrets.token_urlsafe(16)
        self.refresh_tokens[refresh] = user_id
        return {
            "access_token": self.issuer.sign(user_id, ttl=self.access_ttl),
            "refresh_token": refresh,
            "token_type": "Bearer",
            "expires_in": self.access_ttl,
        }

    def _user_of(self, request: Request) -> str | None:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if token in self.api_tokens:
            return self.api_tokens[token]
        try:
            claims = jwt.decode(
                token, self.issuer.key.public_key(), algorithms=["EdDSA"], audience=AUDIENCE
            )
        except jwt.PyJWTError:
            return None
        return str(claims["sub"])

    def app(self) -> Starlette:
        async def jwks(_: Request) -> Response:
            self.jwks_fetches += 1
            if self.jwks_down:
                return Response(status_code=503)
            return JSONResponse(self.issuer.jwks())

        async def signup(request: Request) -> Response:
            body = await request.json()
            if body["email"] in self.users:
                return problem(409, "That email is taken.")
            user_id = self.add_user(body["email"])
            return JSONResponse(user_json(user_id, body["email"]), status_code=201)

        async def login(request: Request) -> Response:
            body = await request.json()
            self.calls.append(("login", body["email"]))
            user_id = self.users.get(body["email"])
            if user_id is None or body["password"] != PASSWORD:
                return problem(401, "Wrong email or password.")
            return JSONResponse(self._pair(user_id))

        async def refresh(request: Request) -> Response:
            body = await request.json()
            self.calls.append(("refresh", body["refresh_token"]))
            user_id = self.refresh_tokens.pop(body["refresh_token"], None)
            if user_id is None:
                return problem(401, "Unknown refresh token.")
            return JSONResponse(self._pair(user_id))

        async def logout(request: Request) -> Response:
            body = await request.json()
            self.calls.append(("logout", body["refresh_token"]))
            self.refresh_tokens.pop(body["refresh_token"], None)
            return Response(status_code=204)

        async def change_password(request: Request) -> Response:
            if self._user_of(request) is None:
                return problem(401, "No valid token.")
            body = await request.json()
            if body.get("current_password") != PASSWORD:
                return problem(422, "The current password is not right.")
            return Response(status_code=204)

        async def me(request: Request) -> Response:
            user_id = self._user_of(request)
            if user_id is None:
                return problem(401, "No valid token.")
            email = next(email for email, uid in self.users.items() if uid == user_id)
            if request.method == "DELETE":
                body = await request.json()
                if body.get("password") != "right-password":
                    return problem(422, "The password is not right.")
                del self.users[email]
                return Response(status_code=204)
            return JSONResponse(user_json(user_id, email))

        async def statistics(request: Request) -> Response:
            self.calls.append(("statistics", str(request.url.query)))
            if self.hold_statistics is not None:
                await asyncio.to_thread(self.hold_statistics.wait, 10)
            if request.query_params.get("account_id") in self.foreign_accounts:
                return JSONResponse({"title": "Not found", "status": 404}, status_code=404)
            return JSONResponse(STATISTICS)

        async def positions(request: Request) -> Response:
            self.calls.append(("positions", str(request.url.query)))
            if request.query_params.get("account_id") in self.foreign_accounts:
                return JSONResponse({"title": "Not found", "status": 404}, status_code=404)
            return JSONResponse({"items": [], "next_cursor": None})

        async def create_account(request: Request) -> Response:
            body = await request.json()
            if self.create_delay:
                await asyncio.sleep(self.create_delay)
            if self.hold_creates:
                self.create_started.set()
                await asyncio.to_thread(self.release_creates.wait, 10)
            if body.get("name") == "":
                return problem(422, "An account needs a name.")
            account = {
                "id": str(uuid.uuid4()),
                "name": body.get("name"),
                "user": self._user_of(request),
            }
            self.created.append(account)
            return JSONResponse(
                account, status_code=201, headers={"location": f"/v1/accounts/{account['id']}"}
            )

        async def upload(request: Request) -> Response:
            user_id = self._user_of(request)
            if self.bus_url is not None and user_id is not None:
                event = make_event(
                    "import.failed.v1",
                    ImportFailed(
                        user_id=uuid.UUID(user_id), import_id=uuid.uuid4(), reason="bad file"
                    ),
                    source="/core-api",
                )
                bus = open_bus(self.bus_url)
                try:
                    await bus.publish(event)
                finally:
                    await bus.close()
                return JSONResponse({"event_id": event.id}, status_code=202)
            return await echo(request)

        async def export(_: Request) -> Response:
            async def chunks() -> AsyncIterator[bytes]:
                yield b"PK first chunk"
                await asyncio.to_thread(self.release_export.wait, 10)
                self.export_finished.set()
                yield b" and the rest"

            return StreamingResponse(chunks(), media_type="application/zip")

        async def echo(request: Request) -> Response:
            body = await request.body()
            response = JSONResponse(
                {
                    "path": request.url.path,
                    "query": request.url.query,
                    "method": request.method,
                    "headers": dict(request.headers),
                    "body_length": len(body),
                    "user": self._user_of(request),
                }
            )
            response.set_cookie("core_cookie", "x")
            return response

        return Starlette(
            routes=[
                Route("/healthz", lambda _: JSONResponse({"status": "ok"})),
                Route("/.well-known/jwks.json", jwks),
                Route("/v1/auth/signup", signup, methods=["POST"]),
                Route("/v1/auth/login", login, methods=["POST"]),
                Route("/v1/auth/refresh", refresh, methods=["POST"]),
                Route("/v1/auth/logout", logout, methods=["POST"]),
                Route("/v1/auth/password", change_password, methods=["POST"]),
                Route("/v1/me", me, methods=["GET", "DELETE"]),
                Route("/v1/statistics", statistics),
                Route("/v1/positions", positions),
                Route("/v1/accounts", create_account, methods=["POST"]),
                Route("/v1/imports", upload, methods=["POST"]),
                Route("/v1/export", export),
                Route("/v1/{path:path}", echo, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
            ]
        )


def web_app() -> Starlette:
    """web-ui: answers every path with what it received, and sets a cookie of its own."""

    async def page(request: Request) -> Response:
        response = JSONResponse(
            {"path": request.url.path, "headers": dict(request.headers)},
            headers={"content-security-policy": "default-src *"},
        )
        response.set_cookie("web_pref", "compact")
        return response

    return Starlette(
        routes=[
            Route("/healthz", lambda _: JSONResponse({"status": "ok"})),
            Route("/{path:path}", page, methods=["GET", "POST"]),
        ]
    )


def coach_app() -> Starlette:
    """ai-coach: an empty list of insights."""

    async def insights(_: Request) -> Response:
        return JSONResponse({"items": []})

    async def echo(request: Request) -> Response:
        return JSONResponse({"path": request.url.path, "headers": dict(request.headers)})

    return Starlette(
        routes=[
            Route("/v1/insights", insights),
            Route("/v1/{path:path}", echo, methods=["GET", "POST"]),
        ]
    )


def problem(status: int, detail: str) -> Response:
    return JSONResponse(
        {"type": "about:blank", "title": "Error", "status": status, "detail": detail},
        status_code=status,
        media_type="application/problem+json",
    )


def user_json(user_id: str, email: str) -> dict[str, Any]:
    return {
        "id": user_id,
        "email": email,
        "time_zone": "UTC",
        "base_currency": "USD",
        "created_at": dt.datetime(2026, 1, 2, tzinfo=dt.UTC).isoformat(),
    }


STATISTICS: dict[str, Any] = {
    "currency": "USD",
    "trades": 2,
    "wins": 1,
    "losses": 1,
    "breakevens": 0,
    "net_pnl": "12.50",
    "gross_pnl": "14.50",
    "fees": "2.00",
    "max_drawdown": "-20.00",
    "equity_curve": [],
    "calendar": [],
}
