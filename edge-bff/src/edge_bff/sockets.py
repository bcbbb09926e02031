"""The `/ws` WebSocket: a trader's events, live."""

from __future__ import annotations

import asyncio
import json
import logging
import time

import anyio
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket

from .context import context_of
from .errors import problem_response
from .live import MAX_MESSAGE_BYTES, Delivery, Subscriber, message
from .runtime import Runtime, runtime_of

log = logging.getLogger(__name__)

_HEARTBEAT = json.dumps({"type": "heartbeat"})


async def _pump(
    websocket: WebSocket, runtime: Runtime, subscriber: Subscriber, after: str | None
) -> None:
    """Send the catch-up (when reconnecting), then live deliveries, with heartbeats between."""
    live = runtime.live
    check_every = min(live.ping_seconds, runtime.settings.ws_session_check_seconds)
    checked_at = time.monotonic()
    sent_in_catch_up: set[str] = set()
    if after:
        async for delivery in live.catch_up(subscriber.user_id, after):
            sent_in_catch_up.add(delivery.event.id)
            await _send(websocket, delivery)
    while True:
        if time.monotonic() - checked_at >= check_every:
            # Notice a session that ended or timed out, on this instance or another one.
            checked_at = time.monotonic()
            if not await runtime.sessions.is_live(subscriber.session_id):
                subscriber.close(1008)
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
    """Push the trader's events as they happen; `?after=<position>` resumes without a gap."""
    runtime = runtime_of(websocket)
    if websocket.headers.get("origin") != runtime.settings.public_origin:
        await websocket.send_denial_response(
            problem_response(403, "WebSockets are only accepted from this site.")
        )
        return
    session = context_of(websocket.scope).session
    if session is None or session.user_id is None:
        await websocket.send_denial_response(problem_response(401, "Log in first."))
        return
    if runtime.live.socket_count(session.user_id) >= runtime.settings.ws_max_sockets_per_user:
        await websocket.send_denial_response(
            problem_response(429, "Too many live connections; close another tab first.")
        )
        return
    subscriber = runtime.live.subscribe(session.user_id, session.id)
    try:
        await websocket.accept()
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(
                _pump, websocket, runtime, subscriber, websocket.query_params.get("after")
            )
            tasks.start_soon(
                _listen, websocket, subscriber, runtime.settings.ws_messages_per_minute
            )
            await subscriber.closed.wait()
            tasks.cancel_scope.cancel()
    finally:
        runtime.live.unsubscribe(subscriber)
    if not subscriber.client_gone:
        await websocket.close(subscriber.close_code)


routes = [WebSocketRoute("/ws", live_socket)]
