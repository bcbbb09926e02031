"""A stand-in for edge-bff's `/api/v1` API: canned contracts bodies, every request recorded."""

from __future__ import annotations

import socket
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

import uvicorn
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp
from tradeloop_contracts import PROBLEM_CONTENT_TYPE, Problem


@dataclass(frozen=True)
class RecordedRequest:
    """One call edge received: what web-ui sent, byte for byte."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class CannedAnswer:
    status: int
    body: bytes
    content_type: str
    set_cookies: tuple[str, ...] = ()
    headers: tuple[tuple[str, str], ...] = ()


@dataclass
class StubEdge:
    """Answers each (method, path) with what a test set; anything else is a 404 problem."""

    answers: dict[tuple[str, str, frozenset[tuple[str, str]]], CannedAnswer] = field(
        default_factory=dict
    )
    requests: list[RecordedRequest] = field(default_factory=list)

    def answer(
        self,
        method: str,
        path: str,
        body: BaseModel | bytes | None = None,
        *,
        status: int = 200,
        set_cookies: Sequence[str] = (),
        when: dict[str, str] | None = None,
        content_type: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer `method path` with `body` as JSON (raw bytes as given, as `content_type`
        when named), these cookies and headers; with `when`, only requests whose query has
        those parameters (the most specific wins)."""
        if isinstance(body, BaseModel):
            content = body.model_dump_json().encode()
        else:
            content = body or b""
        if content_type is None:
            json_type = PROBLEM_CONTENT_TYPE if isinstance(body, Problem) else "application/json"
            content_type = json_type
        self.answers[(method, path, frozenset((when or {}).items()))] = CannedAnswer(
            status, content, content_type, tuple(set_cookies), tuple((headers or {}).items())
        )

    def refuse(self, method: str, path: str, problem: Problem) -> None:
        """Answer `method path` with `problem` and its status."""
        self.answer(method, path, problem, status=problem.status)

    def received(self, method: str, path: str) -> list[RecordedRequest]:
        """Every recorded request to `method path`, oldest first."""
        return [r for r in self.requests if r.method == method and r.path == path]

    def reset(self) -> None:
        self.answers.clear()
        self.requests.clear()

    async def _handle(self, request: Request) -> Response:
        body = await request.body()
        self.requests.append(
            RecordedRequest(
                method=request.method,
                path=request.url.path,
                query=dict(request.query_params),
                headers=dict(request.headers),
                body=body,
            )
        )
        query = set(request.query_params.items())
        matching = [
            (len(when), canned)
            for (method, path, when), canned in self.answers.items()
            if method == request.method and path == request.url.path and when <= query
        ]
        canned = max(matching, key=lambda match: match[0])[1] if matching else None
        if canned is None:
            missing = Problem(title="Not Found", status=404, detail=request.url.path)
            return Response(missing.model_dump_json(), 404, media_type=PROBLEM_CONTENT_TYPE)
        response = Response(canned.body, canned.status, media_type=canned.content_type)
        for cookie in canned.set_cookies:
            response.headers.append("set-cookie", cookie)
        for name, value in canned.headers:
            response.headers[name] = value
        return response

    def app(self) -> Starlette:
        methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
        return Starlette(routes=[Route("/{path:path}", self._handle, methods=methods)])


class ServerThread:
    """A real uvicorn server for `app` on a free local port, in a background thread."""

    def __init__(self, app: ASGIApp) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted connections inherit it: without it, a response written in two parts
        # waits for the client's delayed ACK (about 40 ms on Linux) on every kept-alive call.
        self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._socket.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        config = uvicorn.Config(app, log_level="warning", ws="none", lifespan="on")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    def start(self) -> None:
        """Start serving; returns once the server accepts connections."""
        self._thread.start()
        for _ in range(500):
            if self._server.started:
                return
            threading.Event().wait(0.01)
        raise RuntimeError(f"the server at {self.url} did not start")

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()
