"""The `/ws` WebSocket: a trader's events, live."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass

import anyio
from starlette.responses import Response
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket
from tradeloop_contracts.telemetry import bind_user

from .context import context_of
from .errors import AppError, problem_response
from .identity import bearer_token
from .live import MAX_MESSAGE_BYTES, Delivery, Subscriber, message
from .runtime import Runtime, runtime_of
from .telemetry import SERVICE, ws_connections

log = logging.getLogger(__name__)

_HEARTBEAT = json.dumps({"type": "heartbeat"})
# Close reasons (code 1008) of the periodic re-check.
SESSION_ENDED = "session ended"
TOKEN_EXPIRED = "token expired"
TOKEN_REVOKED = "token revoked"
# Close reason (1008) for a `?after=` that is no position of the bus.
BAD_POSITION = "after is not an event position"


@dataclass(frozen=True)
class SocketOwner:
    """Who opened a socket: a logged-in cookie session, or a bearer token."""

    user_id: str
    session_id: str | None = None
    token: str | None = None
    expires_at: int | None = None


async def _refusal(runtime: Runtime, owner: SocketOwner) -> str | None:
    """Why the socket may not stay open any longer (its close reason), or None."""
    if owner.session_id is not None:
        return None if await runtime.sessions.is_live(owner.session_id) else SESSION_ENDED
    if owner.expires_at is not None:
        return None if runtime.clock.now().timestamp() < owner.expires_at else TOKEN_EXPIRED
    assert owner.token is not None
    try:
        user_id = await runtime.authenticator.personal_token_user(owner.token)
    except AppError:
        return None  # core is away: keep the socket; the next check asks again
    return None if user_id == owner.user_id else TOKEN_REVOKED


async def _owner(websocket: WebSocket, runtime: Runtime) -> SocketOwner | Response:
    """Who may open this socket, or the refusal to send before accepting.

    A cookie session must come from the public origin (cross-site WebSocket hijacking);
    a bearer token cannot be sent by a foreign page, so it needs no Origin.
    """
    context = context_of(websocket.scope)
    token = bearer_token(websocket)
    if token is None or context.had_session_cookie:
        if websocket.headers.get("origin") != runtime.settings.public_origin:
            return problem_response(403, "WebSockets are only accepted from this site.")
    if token is not None:
        try:
            bearer = await runtime.authenticator.bearer_owner(token)
        except AppError as exc:
            return problem_response(exc.status, exc.detail)
        return SocketOwner(user_id=bearer.user_id, token=token, expires_at=bearer.expires_at)
    session = context.session
    if session is None or session.user_id is None:
        return problem_response(401, "Log in first, or send an Authorization: Bearer token.")
    return SocketOwner(user_id=session.user_id, session_id=session.id)


async def _pump(
    websocket: WebSocket,
    runtime: Runtime,
    owner: SocketOwner,
    subscriber: Subscriber,
    after: str | None,
) -> None:
    """Send the catch-up (when reconnecting), then live deliveries, with heartbeats between."""
    live = runtime.live
    check_every = min(live.ping_seconds, runtime.settings.ws_session_check_seconds)
    checked_at = time.monotonic()
    sent_in_catch_up: set[str] = set()
    if after:
        try:
            async for delivery in live.catch_up(subscriber.user_id, after):
                sent_in_catch_up.add(delivery.event.id)
                await _send(websocket, delivery)
        except ValueError:
            subscriber.close(1008, BAD_POSITION)
            return
    while True:
        if time.monotonic() - checked_at >= check_every:
            # Notice a session that ended or timed out, or a token that expired or was revoked.
            checked_at = time.monotonic()
            refusal = await _refusal(runtime, owner)
            if refusal is not None:
                subscriber.close(1008, refusal)
                return
        try:
            delivery = await asyncio.wait_for(subscriber.queue.get(), check_every)
        except TimeoutError:
            await websocket.send_text(_HEARTBEAT)
            continue
        if delivery.event.id not in sent_in_catch_up:
            await _send(websocket, delivery)


async def _send(websocket: WebSocket, delivery: Delivery) -> None:
    text = message(delivery)
    if len(text.encode()) > MAX_MESSAGE_BYTES:
        log.warning("event %s is larger than a socket message may be; not sent", delivery.event.id)
        return
    await websocket.send_text(text)


async def _listen(websocket: WebSocket, subscriber: Subscriber, per_minute: int) -> None:
    """Watch the client: it says nothing we act on, but it may leave or send too much."""
    tokens, refilled_at = float(per_minute), time.monotonic()
    while True:
        received = await websocket.receive()
        if received["type"] == "websocket.disconnect":
            subscriber.client_gone = True
            subscriber.close(1000)
            return
        size = len(received.get("bytes") or b"") + len((received.get("text") or "").encode())
        if size > MAX_MESSAGE_BYTES:
            subscriber.close(1009)
            return
        now = time.monotonic()
        tokens = min(float(per_minute), tokens + (now - refilled_at) * per_minute / 60)
        refilled_at = now
        if tokens < 1:
            subscriber.close(1008)
            return
        tokens -= 1


async def live_socket(websocket: WebSocket) -> None:
    """Push the trader's events as they happen; `?after=<position>` resumes without a gap.

    Opened by a logged-in cookie session (from the public origin) or a bearer token.
    """
    runtime = runtime_of(websocket)
    owner = await _owner(websocket, runtime)
    if isinstance(owner, Response):
        await websocket.send_denial_response(owner)
        return
    if runtime.live.socket_count(owner.user_id) >= runtime.settings.ws_max_sockets_per_user:
        await websocket.send_denial_response(
            problem_response(429, "Too many live connections; close another tab first.")
        )
        return
    bind_user(owner.user_id)
    subscriber = runtime.live.subscribe(owner.user_id, owner.session_id)
    open_sockets = ws_connections().labels(SERVICE)
    open_sockets.inc()
    try:
        await websocket.accept()
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(
                _pump, websocket, runtime, owner, subscriber, websocket.query_params.get("after")
            )
            tasks.start_soon(
                _listen, websocket, subscriber, runtime.settings.ws_messages_per_minute
            )
            await subscriber.closed.wait()
            tasks.cancel_scope.cancel()
    finally:
        open_sockets.dec()
        runtime.live.unsubscribe(subscriber)
    if not subscriber.client_gone:
        await websocket.close(subscriber.close_code, subscriber.close_reason)


routes = [WebSocketRoute("/ws", live_socket)]
