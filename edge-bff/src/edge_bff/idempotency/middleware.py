"""`Idempotency-Key` on unsafe API calls: one side effect per key, the first answer replayed."""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
from typing import IO

from starlette.datastructures import Headers
from starlette.requests import HTTPConnection
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..bodies import is_json
from ..clock import Clock
from ..errors import problem_response
from ..runtime import runtime_of
from .store import Claimed, Completed, IdempotencyStore, InFlight, StoredResponse

# Non-idempotent creates and actions: a retry without a key could create a second import,
# account, entry, tag, mapping, playbook, broker connection, attachment, cash movement, or
# fill or position entered by hand, start a second sync or import run, restore an archive
# twice, answer an undo's retry with a 409, or ask the coach twice, so the key is required
# there.
REQUIRED_ROUTES = re.compile(
    r"^POST /api/v1/("
    r"imports|imports/[^/]+/(mapping|undo)|accounts|journal/entries|tags|column-mappings|playbooks"
    r"|import-archive"
    r"|broker-connections|broker-connections/[^/]+/sync"
    r"|(positions|journal/entries)/[^/]+/attachments"
    r"|accounts/[^/]+/cash-movements"
    r"|executions|positions"
    r"|coach/chat"
    r")$"
)
METHODS = frozenset({"POST", "PATCH"})
# Answers that hold secrets are never stored or replayed: the auth routes' (tokens, new
# sessions) and a new personal API token's (shown once, kept only hashed by core; a stored
# answer would keep it readable in the store for a day).
_EXEMPT = re.compile(r"^/api/v1/(auth/|api-tokens$)")
MAX_KEY_LENGTH = 255
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
# Answers larger than this are passed on but not kept (API answers are far smaller).
_MAX_STORED_BODY_BYTES = 1024 * 1024
# The backend could not be reached, so nothing happened: let a retry run again.
_NOT_STORED_STATUSES = frozenset({502, 503})
# Headers of the first answer that a replay repeats.
_REPLAYED_HEADERS = frozenset({"content-type", "location"})
_SPOOL_IN_MEMORY_BYTES = 1024 * 1024
_CHUNK_BYTES = 64 * 1024


def _multipart_boundary(content_type: str) -> bytes | None:
    if not content_type.lower().startswith("multipart/"):
        return None
    match = re.search(r'boundary="?([^";]+)"?', content_type, re.IGNORECASE)
    return b"--" + match.group(1).encode("latin-1") if match else None


class _BodyDigest:
    """SHA-256 of a body fed in chunks; multipart boundaries are left out, because a client
    retrying the same form picks a new random boundary."""

    def __init__(self, boundary: bytes | None) -> None:
        self._hash = hashlib.sha256()
        self._boundary = boundary
        self._pending = b""

    def update(self, chunk: bytes) -> None:
        if self._boundary is None:
            self._hash.update(chunk)
            return
        # Keep a tail that could be the start of a boundary split across chunks.
        self._pending = (self._pending + chunk).replace(self._boundary, b"")
        keep = len(self._boundary) - 1
        self._hash.update(self._pending[: len(self._pending) - keep])
        self._pending = self._pending[len(self._pending) - keep :]

    def hexdigest(self) -> str:
        self._hash.update(self._pending)
        self._pending = b""
        return self._hash.hexdigest()


class _TooLargeError(Exception):
    pass


class _DisconnectedError(Exception):
    pass


async def _spool(receive: Receive, limit: int, digest: _BodyDigest) -> IO[bytes]:
    """The request body in a temporary file (memory up to 1 MiB, then disk), hashed."""
    spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY_BYTES)
    received = 0
    more = True
    try:
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _DisconnectedError
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > limit:
                raise _TooLargeError
            digest.update(chunk)
            spool.write(chunk)
            more = message.get("more_body", False)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool


def _replaying(spool: IO[bytes], receive: Receive) -> Receive:
    """A receive that yields the spooled body, then waits on the real one (disconnects)."""
    done = False

    async def replay() -> Message:
        nonlocal done
        if done:
            return await receive()
        chunk = spool.read(_CHUNK_BYTES)
        more = bool(chunk) and spool.tell() < _size(spool)
        done = not more
        return {"type": "http.request", "body": chunk, "more_body": more}

    return replay


def _size(spool: IO[bytes]) -> int:
    position = spool.tell()
    spool.seek(0, 2)
    size = spool.tell()
    spool.seek(position)
    return size


class IdempotencyMiddleware:
    """Claims the caller's key atomically, runs the request once and stores its answer.

    The scope of a key is (acting user or session, method, path, key); the fingerprint is
    (method, path with query, body hash). A repeat with another fingerprint gets 422, a
    repeat while the first runs 409, a repeat afterwards the first status and body again.
    Bodies are spooled to a temporary file (never held whole in memory) to be hashed first.
    """

    def __init__(
        self,
        app: ASGIApp,
        store: IdempotencyStore,
        clock: Clock,
        *,
        max_json_bytes: int,
        max_upload_bytes: int,
    ) -> None:
        self.app = app
        self.store = store
        self.clock = clock
        self.max_json_bytes = max_json_bytes
        self.max_upload_bytes = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in METHODS
            or not scope["path"].startswith("/api/")
            or _EXEMPT.match(scope["path"])
        ):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        key = headers.get("idempotency-key")
        method, path = scope["method"], scope["path"]
        if key is None:
            if REQUIRED_ROUTES.match(f"{method} {path}"):
                await self._problem(
                    scope, receive, send, 400, f"{method} {path} needs an Idempotency-Key header."
                )
                return
            await self.app(scope, receive, send)
            return
        if not _KEY.match(key):
            detail = f"The Idempotency-Key header must be 1 to {MAX_KEY_LENGTH} visible characters."
            await self._problem(scope, receive, send, 400, detail)
            return
        connection = HTTPConnection(scope)
        actor = await runtime_of(connection).authenticator.actor(connection)
        if actor is None:
            # Nobody to scope the key to: the route itself answers 401.
            await self.app(scope, receive, send)
            return
        await self._run_once(scope, receive, send, headers, actor, key)

    async def _problem(
        self, scope: Scope, receive: Receive, send: Send, status: int, detail: str
    ) -> None:
        await problem_response(status, detail)(scope, receive, send)

    async def _run_once(
        self, scope: Scope, receive: Receive, send: Send, headers: Headers, actor: str, key: str
    ) -> None:
        content_type = headers.get("content-type", "")
        json_body = is_json(content_type)
        limit = self.max_json_bytes if json_body else self.max_upload_bytes
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await self._problem(
                scope, receive, send, 413, f"This body is limited to {limit} bytes."
            )
            return
        digest = _BodyDigest(_multipart_boundary(content_type))
        try:
            spool = await _spool(receive, limit, digest)
        except _TooLargeError:
            await self._problem(
                scope, receive, send, 413, f"This body is limited to {limit} bytes."
            )
            return
        except _DisconnectedError:
            return
        with spool:
            if json_body and _size(spool) > 0:
                problem = _json_problem(spool.read())
                spool.seek(0)
                if problem is not None:
                    await self._problem(scope, receive, send, 400, problem)
                    return
            query = scope.get("query_string", b"").decode("latin-1")
            fingerprint = hashlib.sha256(
                f"{scope['method']}\n{scope['path']}?{query}\n{digest.hexdigest()}".encode()
            ).hexdigest()
            scoped_key = hashlib.sha256(
                "\0".join((actor, scope["method"], scope["path"], key)).encode()
            ).hexdigest()
            now = self.clock.now().timestamp()
            outcome = await self.store.claim(scoped_key, fingerprint, now=now)
            if not isinstance(outcome, Claimed):
                await self._answer_repeat(scope, receive, send, outcome, fingerprint)
                return
            await self._run_and_store(
                scope, _replaying(spool, receive), send, scoped_key, outcome.owner
            )

    async def _answer_repeat(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        outcome: Completed | InFlight,
        fingerprint: str,
    ) -> None:
        if outcome.fingerprint != fingerprint:
            detail = "This Idempotency-Key was used for a different request."
            await self._problem(scope, receive, send, 422, detail)
            return
        if not isinstance(outcome, Completed):
            detail = "A request with this Idempotency-Key is still being processed; retry later."
            await self._problem(scope, receive, send, 409, detail)
            return
        stored = outcome.response
        replay = Response(stored.body, status_code=stored.status)
        for name, value in stored.headers:
            replay.headers.append(name, value)
        replay.headers["idempotent-replayed"] = "true"
        await replay(scope, receive, send)

    async def _run_and_store(
        self, scope: Scope, receive: Receive, send: Send, scoped_key: str, owner: str
    ) -> None:
        status = 500
        kept: list[tuple[str, str]] = []
        body = bytearray()
        storable = True

        async def capture(message: Message) -> None:
            nonlocal status, storable
            if message["type"] == "http.response.start":
                status = message["status"]
                for raw_name, raw_value in message.get("headers", []):
                    name = raw_name.decode("latin-1").lower()
                    if name in _REPLAYED_HEADERS:
                        kept.append((name, raw_value.decode("latin-1")))
            elif message["type"] == "http.response.body" and storable:
                body.extend(message.get("body", b""))
                storable = len(body) <= _MAX_STORED_BODY_BYTES
            await send(message)

        try:
            await self.app(scope, receive, capture)
        except BaseException:
            await self.store.release(scoped_key, owner)
            raise
        if not storable or status in _NOT_STORED_STATUSES:
            await self.store.release(scoped_key, owner)
            return
        await self.store.complete(
            scoped_key,
            owner,
            StoredResponse(status=status, headers=kept, body=bytes(body)),
            now=self.clock.now().timestamp(),
        )


def _json_problem(raw: bytes) -> str | None:
    """Why `raw` is not JSON (line and column), or None when it is."""
    try:
        json.loads(raw)
    except UnicodeDecodeError:
        return "The body is not UTF-8 encoded JSON."
    except json.JSONDecodeError as exc:
        return f"The body is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."
    return None
