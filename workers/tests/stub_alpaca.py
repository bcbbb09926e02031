"""A local stand-in for Alpaca's trading, OAuth and market data APIs.

It speaks the documented wire shapes (the fixtures under tests/brokers/fixtures and
tests/market_data/fixtures are real-shaped answers): API key headers or a bearer token,
FILL activities paged by `page_token`, the OAuth token endpoint, stock bars paged by
`next_page_token`; and it fails on demand with 429 + Retry-After, 5xx, and 401/403.

Tests start it in a thread (`serve_stub_alpaca`); the integration compose file runs it
on its own, as Alpaca's trading and market data APIs, holding nothing at start:

    python -m tests.stub_alpaca --host 0.0.0.0 --port 8080
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import threading
import urllib.parse
import uuid
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.serving import serve_in_thread

FIXTURES = Path(__file__).parent / "brokers" / "fixtures"
ACCOUNT = json.loads((FIXTURES / "alpaca_account.json").read_text())
ERRORS = json.loads((FIXTURES / "alpaca_errors.json").read_text())
OAUTH_CLIENT_ID = "stub-client-id"
OAUTH_CLIENT_SECRET = "stub-client-secret"


@dataclass(frozen=True)
class Failure:
    """One scripted answer: a status, and Retry-After seconds for a 429."""

    status: int
    retry_after: int | None = None


@dataclass
class StubAlpaca:
    """What the stub holds and serves; `lock` guards every field."""

    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)
    key_pairs: dict[str, str] = field(default_factory=dict)
    forbidden_keys: set[str] = field(default_factory=set)
    access_tokens: set[str] = field(default_factory=set)
    refresh_tokens: dict[str, str] = field(default_factory=dict)
    codes: set[str] = field(default_factory=set)
    activities: list[dict[str, Any]] = field(default_factory=list)
    bars: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    failures: deque[Failure] = field(default_factory=deque)
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    bars_page_size: int = 1000
    answers_before_outage: int | None = None

    def add_key_pair(self, key_id: str, secret: str) -> None:
        with self.lock:
            self.key_pairs[key_id] = secret

    def add_oauth_grant(self, access: str, refresh: str | None = None) -> None:
        with self.lock:
            self.access_tokens.add(access)
            if refresh is not None:
                self.refresh_tokens[refresh] = access

    def expire_access_token(self, access: str) -> None:
        with self.lock:
            self.access_tokens.discard(access)

    def revoke_everything(self) -> None:
        """The trader revoked the app: every key, token and refresh token is dead."""
        with self.lock:
            self.key_pairs.clear()
            self.access_tokens.clear()
            self.refresh_tokens.clear()

    def fail_next(self, *failures: Failure) -> None:
        with self.lock:
            self.failures.extend(failures)

    def go_down_after(self, answers: int | None) -> None:
        """Answer `answers` more requests, then 503 to every one (None: back up)."""
        with self.lock:
            self.answers_before_outage = answers

    def add_activities(self, activities: list[dict[str, Any]]) -> None:
        with self.lock:
            self.activities.extend(activities)
            self.activities.sort(key=lambda activity: str(activity["id"]))

    def paths(self) -> list[str]:
        with self.lock:
            return [path for _, path, _ in self.requests]


def fill_activities(
    count: int, *, start: dt.datetime, symbol: str = "AAPL", price: str = "189.50"
) -> list[dict[str, Any]]:
    """`count` FILL activities a minute apart, alternating buy and sell, as Alpaca sends them."""
    activities = []
    for number in range(count):
        at = start + dt.timedelta(minutes=number)
        stamp = at.astimezone(dt.UTC)
        activity_id = f"{stamp:%Y%m%d%H%M%S}{stamp.microsecond // 1000:03d}::{uuid.uuid4()}"
        activities.append(
            {
                "activity_type": "FILL",
                "cum_qty": "10",
                "id": activity_id,
                "leaves_qty": "0",
                "price": price,
                "qty": "10",
                "side": "buy" if number % 2 == 0 else "sell",
                "symbol": symbol,
                "transaction_time": stamp.isoformat().replace("+00:00", "Z"),
                "order_id": str(uuid.uuid4()),
                "type": "fill",
                "order_status": "filled",
            }
        )
    return activities


def _error(status: int, headers: dict[str, str] | None = None) -> Response:
    if str(status) not in ERRORS:
        # Gateway errors come from the load balancer, as HTML.
        page = f"<html><head><title>{status}</title></head><body>nginx</body></html>"
        return Response(page, status_code=status, headers=headers, media_type="text/html")
    return JSONResponse(ERRORS[str(status)], status_code=status, headers=headers)


def create_stub_app(state: StubAlpaca) -> Starlette:
    def scripted_failure(request: Request) -> Response | None:
        with state.lock:
            state.requests.append(
                (request.url.hostname or "", request.url.path, dict(request.query_params))
            )
            if state.answers_before_outage == 0:
                return _error(503)
            if state.answers_before_outage is not None:
                state.answers_before_outage -= 1
            if not state.failures:
                return None
            failure = state.failures.popleft()
        headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after else None
        return _error(failure.status, headers)

    def refused(request: Request) -> Response | None:
        key_id = request.headers.get("apca-api-key-id")
        secret = request.headers.get("apca-api-secret-key")
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
        with state.lock:
            if key_id is not None and state.key_pairs.get(key_id) == secret:
                return _error(403) if key_id in state.forbidden_keys else None
            if bearer and bearer in state.access_tokens:
                return None
        return _error(401)

    async def account(request: Request) -> Response:
        return scripted_failure(request) or refused(request) or JSONResponse(ACCOUNT)

    async def fills(request: Request) -> Response:
        answer = scripted_failure(request) or refused(request)
        if answer is not None:
            return answer
        params = request.query_params
        size = min(int(params.get("page_size", "50")), 100)
        token = params.get("page_token")
        with state.lock:
            ordered = list(state.activities)
        if params.get("direction", "desc") == "desc":
            ordered.reverse()
            page = [a for a in ordered if token is None or a["id"] < token][:size]
        else:
            page = [a for a in ordered if token is None or a["id"] > token][:size]
        return JSONResponse(page)

    async def oauth_token(request: Request) -> Response:
        answer = scripted_failure(request)
        if answer is not None:
            return answer
        form = dict(urllib.parse.parse_qsl((await request.body()).decode()))
        if (form.get("client_id"), form.get("client_secret")) != (
            OAUTH_CLIENT_ID,
            OAUTH_CLIENT_SECRET,
        ):
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        with state.lock:
            grant = form.get("grant_type")
            if grant == "authorization_code" and form.get("code") in state.codes:
                state.codes.discard(str(form.get("code")))
            elif grant == "refresh_token" and form.get("refresh_token") in state.refresh_tokens:
                old_access = state.refresh_tokens.pop(str(form.get("refresh_token")))
                state.access_tokens.discard(old_access)
            else:
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            access, refresh = f"access-{uuid.uuid4().hex}", f"refresh-{uuid.uuid4().hex}"
            state.access_tokens.add(access)
            state.refresh_tokens[refresh] = access
        return JSONResponse(
            {
                "access_token": access,
                "refresh_token": refresh,
                "token_type": "bearer",
                "scope": "account:write trading data",
            }
        )

    async def stock_bars(request: Request) -> Response:
        answer = scripted_failure(request) or refused(request)
        if answer is not None:
            return answer
        symbol = request.path_params["symbol"]
        params = request.query_params
        start = dt.datetime.fromisoformat(params["start"])
        end = dt.datetime.fromisoformat(params["end"])
        offset = int(base64.b64decode(params["page_token"])) if "page_token" in params else 0
        with state.lock:
            series = [
                bar
                for bar in state.bars.get(symbol, [])
                if start <= dt.datetime.fromisoformat(bar["t"]) < end
                and bar.get("timeframe", "1Min") == params.get("timeframe", "1Min")
            ]
            size = min(int(params.get("limit", "1000")), state.bars_page_size)
        page = series[offset : offset + size]
        more = offset + size < len(series)
        next_token = base64.b64encode(str(offset + size).encode()).decode() if more else None
        body = {
            "bars": [{k: v for k, v in bar.items() if k != "timeframe"} for bar in page],
            "symbol": symbol,
            "next_page_token": next_token,
        }
        return Response(json.dumps(body, default=_number), media_type="application/json")

    return Starlette(
        routes=[
            Route("/v2/account", account),
            Route("/v2/account/activities/FILL", fills),
            Route("/oauth/token", oauth_token, methods=["POST"]),
            Route("/v2/stocks/{symbol}/bars", stock_bars),
        ]
    )


def _number(value: object) -> float:
    # Alpaca's bars carry JSON numbers; the reader keeps them exact as decimals.
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(type(value).__name__)


@contextmanager
def serve_stub_alpaca() -> Iterator[StubAlpaca]:
    """A running stub Alpaca on a free local port; stopped on exit."""
    state = StubAlpaca()
    with serve_in_thread(create_stub_app(state)) as url:
        state.url = url
        yield state


def main(argv: list[str] | None = None) -> None:
    """Serve a stub Alpaca until interrupted; it knows the key pairs given, nothing else."""
    parser = argparse.ArgumentParser(description="A local stand-in for Alpaca's APIs.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument(
        "--key-pair",
        action="append",
        default=[],
        metavar="KEY_ID:SECRET",
        help="an API key pair the stub accepts (repeatable)",
    )
    args = parser.parse_args(argv)
    state = StubAlpaca()
    for pair in args.key_pair:
        key_id, separator, secret = pair.partition(":")
        if not (key_id and separator and secret):
            parser.error("--key-pair takes KEY_ID:SECRET")
        state.add_key_pair(key_id, secret)
    uvicorn.run(create_stub_app(state), host=args.host, port=args.port)


if __name__ == "__main__":
    main()
