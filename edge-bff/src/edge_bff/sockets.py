"""The `/ws` WebSocket: a trader's events, live."""

from __future__ import annotations

import asyncio
import json
import logging

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
    sent_in_catch_up: set[str] = set()
    if after:
        async for delivery in live.catch_up(subscriber.user_id, after):
            sent_in_catch_up.add(delivery.event.id)
            await _send(websocket, delivery)
    while True:
        try:
            delivery = await asyncio.wait_for(subscriber.queue.get(), live.ping_seconds)
        except TimeoutError:
            # Heartbeat, and the moment to notice a session that ended on another instance.
            if await runtime.sessions.store.get(subscriber.session_id) is None:
                subscriber.close(1008)
                return
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


async def _listen(websocket: WebSocket, subscriber: Subscriber) -> None:
    """Watch the client: it says nothing we act on, but it may leave or send too much."""
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
    await websocket.accept()
    subscriber = runtime.live.subscribe(session.user_id, session.id)
    try:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(
                _pump, websocket, runtime, subscriber, websocket.query_params.get("after")
            )
            tasks.start_soon(_listen, websocket, subscriber)
            await subscriber.closed.wait()
            tasks.cancel_scope.cancel()
    finally:
        runtime.live.unsubscribe(subscriber)
    if not subscriber.client_gone:
        await websocket.close(subscriber.close_code)


routes = [WebSocketRoute("/ws", live_socket)]
