"""Edge benchmarks: proxied API calls and the aggregated dashboard against direct calls to the
backends, WebSocket delivery latency, and how soon a logout on one instance closes the
session's socket on another.

Runs two real `edge-bff serve` processes on loopback against the test stand-in for core, with
sessions and the bus in the Redis at TEST_REDIS_URL (under a random key prefix), shared by
both. Writes one JSON object per line to the file named by BENCH_OUT (stdout when unset);
sizes above BENCH_MAX_SIZE are skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import httpx
import websockets
from redis import Redis
from tradeloop_contracts import ImportFailed, make_event
from tradeloop_contracts.bus import open_bus

from tests.stubs import PASSWORD, CoreStub, coach_app, free_port, serve, web_app

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
MAX_SIZE = int(os.environ.get("BENCH_MAX_SIZE", "1000000"))
ORIGIN = "http://localhost"
CONCURRENCY = 16


def emit(workload: str, size: int, items: int, unit: str, seconds: list[float]) -> None:
    line = json.dumps(
        {"workload": workload, "size": size, "items": items, "unit": unit, "seconds": seconds}
    )
    out = os.environ.get("BENCH_OUT")
    if out:
        with Path(out).open("a") as file:
            file.write(line + "\n")
    else:
        sys.stdout.write(line + "\n")


async def timed_requests(
    call: Callable[[], Awaitable[httpx.Response]], count: int
) -> tuple[float, list[float]]:
    """Wall time of `count` calls made CONCURRENCY at a time, and each call's latency."""
    latencies: list[float] = []
    remaining = count

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            started = time.perf_counter()
            response = await call()
            latencies.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise RuntimeError(f"unexpected status {response.status_code}")

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return time.perf_counter() - started, latencies


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


async def bench_requests(edge_url: str, core_url: str, coach_url: str, token: str) -> None:
    headers = {"authorization": f"Bearer {token}"}
    async with (
        httpx.AsyncClient(base_url=edge_url, headers=headers) as edge,
        httpx.AsyncClient(base_url=core_url, headers=headers) as core,
        httpx.AsyncClient(base_url=coach_url, headers=headers) as coach,
    ):

        async def dashboard_from_the_backends() -> httpx.Response:
            # What the edge's dashboard asks of the backends, asked by the client itself.
            answers = await asyncio.gather(
                core.get("/v1/statistics"),
                core.get("/v1/positions?limit=10"),
                coach.get("/v1/insights"),
            )
            return next((a for a in answers if a.status_code != 200), answers[0])

        targets = {
            "api call through edge": lambda: edge.get("/api/v1/statistics"),
            "api call direct to core": lambda: core.get("/v1/statistics"),
            "dashboard through edge": lambda: edge.get("/api/v1/dashboard"),
            "dashboard direct to core and coach": dashboard_from_the_backends,
        }
        for size, repeats in ((200, 5), (1000, 3)):
            if size > MAX_SIZE:
                continue
            for name, call in targets.items():
                await timed_requests(call, 50)  # warm-up
                runs = [await timed_requests(call, size) for _ in range(repeats)]
                emit(name, size, size, "requests", [wall for wall, _ in runs])
                latencies = [latency for _, run in runs for latency in run]
                emit(f"{name} p50", size, 0, "requests", [percentile(latencies, 0.50)])
                emit(f"{name} p99", size, 0, "requests", [percentile(latencies, 0.99)])


async def bench_sockets(edge_url: str, bus_url: str, sessions: list[tuple[str, str]]) -> None:
    """1,000 sockets (10 per user); one event per user, latency from publish to receipt."""
    size = 10 * len(sessions)
    if size > MAX_SIZE:
        return
    ws_url = edge_url.replace("http://", "ws://") + "/ws"
    received: dict[str, float] = {}
    latencies: list[float] = []
    sent_at: dict[str, float] = {}
    sockets = []
    for session_id, _ in sessions:
        for _ in range(10):
            sockets.append(
                await websockets.connect(
                    ws_url,
                    origin=websockets.Origin(ORIGIN),
                    additional_headers={"cookie": f"__Host-tradeloop_session={session_id}"},
                    compression=None,
                )
            )

    async def reader(socket: websockets.ClientConnection) -> None:
        async for raw in socket:
            message = json.loads(raw)
            if message["type"] == "event":
                event_id = message["event"]["id"]
                latencies.append(time.perf_counter() - sent_at[event_id])
                received[event_id] = received.get(event_id, 0) + 1

    readers = [asyncio.create_task(reader(socket)) for socket in sockets]
    await asyncio.sleep(1)
    bus = open_bus(bus_url)
    runs: list[float] = []
    every_latency: list[float] = []
    try:
        for _ in range(3):
            latencies.clear()
            started = time.perf_counter()
            for _, user_id in sessions:
                event = make_event(
                    "import.failed.v1",
                    ImportFailed(user_id=uuid.UUID(user_id), import_id=uuid.uuid4(), reason="x"),
                    source="/core-api",
                )
                sent_at[event.id] = time.perf_counter()
                await bus.publish(event)
            deadline = time.perf_counter() + 30
            while len(latencies) < size and time.perf_counter() < deadline:
                await asyncio.sleep(0.01)
            runs.append(time.perf_counter() - started)
            every_latency.extend(latencies)
        emit("ws delivery p50", size, 0, "messages", [percentile(every_latency, 0.50)])
        emit("ws delivery p99", size, 0, "messages", [percentile(every_latency, 0.99)])
        emit("ws fan-out to 1,000 sockets", size, size, "messages", runs)
    finally:
        await bus.close()
        for task in readers:
            task.cancel()
        for socket in sockets:
            await socket.close()


async def log_in(edge_url: str, email: str) -> str:
    return (await log_in_with_csrf(edge_url, email))[0]


async def log_in_with_csrf(edge_url: str, email: str) -> tuple[str, str]:
    """A fresh session id and its CSRF token."""
    async with httpx.AsyncClient(base_url=edge_url) as client:
        response = await client.post(
            "/api/v1/auth/login",
            json={"email": email, "password": PASSWORD},
            headers={"origin": ORIGIN},
        )
        response.raise_for_status()
        cookie = response.headers["set-cookie"]
        return cookie.split(";", 1)[0].split("=", 1)[1], response.headers["x-csrf-token"]


async def bench_logout_elsewhere(edge_a: str, edge_b: str, email: str) -> None:
    """Log out through instance A; time until A's answer and until B closes the session's socket."""
    runs = 20
    if runs > MAX_SIZE:
        return
    ws_url = edge_b.replace("http://", "ws://") + "/ws"
    closes: list[float] = []
    async with httpx.AsyncClient(base_url=edge_a) as client:
        for _ in range(runs):
            session_id, csrf_token = await log_in_with_csrf(edge_a, email)
            cookie = f"__Host-tradeloop_session={session_id}"
            async with websockets.connect(
                ws_url,
                origin=websockets.Origin(ORIGIN),
                additional_headers={"cookie": cookie},
                compression=None,
            ) as socket:
                started = time.perf_counter()
                response = await client.post(
                    "/api/v1/auth/logout",
                    headers={"cookie": cookie, "origin": ORIGIN, "x-csrf-token": csrf_token},
                )
                response.raise_for_status()
                with contextlib.suppress(websockets.ConnectionClosed):
                    async for _ in socket:
                        pass
                closes.append(time.perf_counter() - started)
    emit("logout to close on another instance p50", runs, 0, "sockets", [percentile(closes, 0.5)])
    emit("logout to close on another instance p99", runs, 0, "sockets", [percentile(closes, 0.99)])


@contextlib.contextmanager
def running_edge(env: dict[str, str], port: int) -> Iterator[str]:
    """An `edge-bff serve` process on `port`, once it answers; yields its URL."""
    url = f"http://127.0.0.1:{port}"
    command = [str(Path(sys.executable).parent / "edge-bff"), "serve"]
    edge = subprocess.Popen(command, env={**env, "EDGE_PORT": str(port)})
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{url}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("edge did not start")
            time.sleep(0.1)
        yield url
    finally:
        edge.terminate()
        edge.wait(timeout=10)


def main() -> None:
    prefix = f"edge-bench-{secrets.token_hex(6)}:"
    bus_url = f"{REDIS_URL}?prefix={prefix}bus"
    stub = CoreStub()
    with serve(stub.app()) as core_url, serve(web_app()) as web_url, serve(coach_app()) as coach:
        env = {
            **os.environ,
            "EDGE_PUBLIC_ORIGIN": ORIGIN,
            "EDGE_CORE_URL": core_url,
            "EDGE_WEB_URL": web_url,
            "EDGE_COACH_URL": coach,
            "EDGE_JWKS_URL": f"{core_url}/.well-known/jwks.json",
            "EDGE_SESSION_STORE_URL": REDIS_URL,
            "EDGE_REDIS_KEY_PREFIX": prefix,
            "EDGE_BUS_URL": bus_url,
            "EDGE_RATE_LIMIT_IP_PER_MINUTE": "10000000",
            "EDGE_RATE_LIMIT_USER_PER_MINUTE": "10000000",
            "EDGE_RATE_LIMIT_AUTH_PER_MINUTE": "100000",
            "EDGE_WS_QUEUE_SIZE": "1000",
            "EDGE_LOG_LEVEL": "error",
        }
        try:
            with (
                running_edge(env, free_port()) as edge_url,
                running_edge(env, free_port()) as other_edge_url,
            ):
                token = stub.issuer.sign(stub.add_user("bench@example.com"), ttl=3600)
                asyncio.run(bench_requests(edge_url, core_url, coach, token))
                emails = [f"ws-{n}@example.com" for n in range(100)]
                users = [(email, stub.add_user(email)) for email in emails]

                async def sockets() -> None:
                    sessions = [
                        (await log_in(edge_url, email), user_id) for email, user_id in users
                    ]
                    await bench_sockets(edge_url, bus_url, sessions)

                asyncio.run(sockets())
                asyncio.run(bench_logout_elsewhere(edge_url, other_edge_url, emails[0]))
        finally:
            redis = Redis.from_url(REDIS_URL)
            keys = list(redis.scan_iter(match=f"{prefix}*"))
            if keys:
                redis.delete(*keys)
            redis.close()


if __name__ == "__main__":
    main()
