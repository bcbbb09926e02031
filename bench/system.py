"""System benchmarks: the whole stack, driven like a client would drive it.

**import end to end**: a generic CSV of N executions uploaded through edge (bearer
token, Idempotency-Key) until core reports the import completed; meanwhile every
service's `/healthz` is polled, and its p99 is reported, because heavy work must never
block an event loop. The peak resident memory of each service's processes (the kernel's
high-water mark of each process, the work processes core starts included) and the CPU
time they spent during the import are read from /proc while it runs: on a machine shared
with other work the CPU seconds compare runs better than the time does.

Two modes: **embedded** (SQLite, the embedded bus, as `make up` runs it) and
**distributed** (PostgreSQL and Redis, as the integration compose file runs it): a fresh
database `bench_stack_<random>` on `TEST_DATABASE_URL`'s server, dropped afterwards, and
the bus and edge's sessions on two Redis databases of `TEST_REDIS_URL`'s server
(`BENCH_REDIS_BUS_DB`, default 13, and the next one), emptied first: keep them for the
benchmark alone.

    python system.py 1000000 --modes embedded   # one run, printed, no report written
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
import redis
from psycopg import sql

from generators import write_csv
from harness import Result

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
from dev import SERVICES, Stack

PORT_BASE = 19000
PASSWORD = "bench-password-2026"
IMPORT_TIMEOUT_SECONDS = 3600.0
MAX_UPLOAD_BYTES = 200 * 2**20
MODES = ("embedded", "distributed")
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
REDIS_BUS_DB = int(os.environ.get("BENCH_REDIS_BUS_DB", "13"))


@dataclass
class BenchStack(Stack):
    """The stack, with settings of its own winning over the embedded ones."""

    settings: dict[str, str] = field(default_factory=dict)

    def environment(self) -> dict[str, str]:
        return {**super().environment(), **self.settings}


@contextmanager
def running_stack(mode: str) -> Iterator[Stack]:
    with (
        tempfile.TemporaryDirectory(prefix="tradeloop-bench-") as data,
        open(Path(data) / "stack.log", "w", encoding="utf-8") as log,
        _settings(mode) as settings,
    ):
        stack = BenchStack(port_base=PORT_BASE, data_dir=Path(data), log=log, settings=settings)
        try:
            stack.start()
            yield stack
        finally:
            stack.stop()


@contextmanager
def _settings(mode: str) -> Iterator[dict[str, str]]:
    """What the stack runs on besides its embedded defaults: PostgreSQL and Redis in the
    distributed mode, and in both a visibility timeout above the longest import (workers'
    README): a worker would otherwise be handed an import it is still running."""
    settings = {
        "WORKERS_VISIBILITY_TIMEOUT_SECONDS": str(IMPORT_TIMEOUT_SECONDS),
        # A file of 1,000,000 executions (about 80 MB) is over edge's default upload
        # limit (20 MiB); core's own (200 MiB) still applies.
        "EDGE_MAX_UPLOAD_BYTES": str(MAX_UPLOAD_BYTES),
    }
    if mode == "embedded":
        yield settings
        return
    with _postgres_database() as database:
        bus = _empty_redis(REDIS_BUS_DB)
        yield settings | {
            "CORE_DATABASE_URL": database,
            "WORKERS_BUS_URL": bus,
            "EDGE_BUS_URL": bus,
            "EDGE_SESSION_STORE_URL": _empty_redis(REDIS_BUS_DB + 1),
        }


@contextmanager
def _postgres_database() -> Iterator[str]:
    name = f"bench_stack_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(TEST_DATABASE_URL, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield TEST_DATABASE_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(TEST_DATABASE_URL, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def _empty_redis(database: int) -> str:
    url = f"{TEST_REDIS_URL.rsplit('/', 1)[0]}/{database}"
    with redis.Redis.from_url(url) as client:
        client.flushdb()
    return url


class _Trader(httpx.Auth):
    """A new trader's bearer token, fetched again when edge refuses it: an access token
    lives 15 minutes, and a 1,000,000-execution import can take longer."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
        with httpx.Client(timeout=30) as client:
            client.post(
                f"{stack.url('core')}/v1/auth/signup",
                json={"email": self.email, "password": PASSWORD},
            ).raise_for_status()
        self.token = self._log_in()

    def _log_in(self) -> str:
        with httpx.Client(timeout=30) as client:
            pair = client.post(
                f"{self.stack.url('edge')}/api/v1/auth/token",
                json={"email": self.email, "password": PASSWORD},
            )
            pair.raise_for_status()
            return str(pair.json()["access_token"])

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response]:
        request.headers["authorization"] = f"Bearer {self.token}"
        response = yield request
        if response.status_code == 401:
            self.token = self._log_in()
            request.headers["authorization"] = f"Bearer {self.token}"
            yield request


class _Watch:
    """Polls every service's /healthz (every 50 ms) and its processes' memory (every
    second) until stopped."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.latencies: dict[str, list[float]] = {s.name: [] for s in SERVICES}
        # Per service, per process id: the process's peak resident bytes (VmHWM).
        self.peaks: dict[str, dict[int, int]] = {s.name: {} for s in SERVICES}
        # Per service, per process id: its CPU seconds when first seen and when last seen.
        self.cpu_first: dict[str, dict[int, float]] = {s.name: {} for s in SERVICES}
        self.cpu_last: dict[str, dict[int, float]] = {s.name: {} for s in SERVICES}
        self.sampled = False
        self.stop = threading.Event()
        self.threads = [
            threading.Thread(target=self._poll_health, daemon=True),
            threading.Thread(target=self._read_memory, daemon=True),
        ]

    def start(self) -> None:
        self._sample_memory()
        for thread in self.threads:
            thread.start()

    def finish(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join()
        self._sample_memory()

    def _poll_health(self) -> None:
        with httpx.Client(timeout=5) as client:
            while not self.stop.is_set():
                for service in SERVICES:
                    started = time.perf_counter()
                    try:
                        client.get(f"{self.stack.url(service.name)}/healthz")
                        self.latencies[service.name].append(time.perf_counter() - started)
                    except httpx.HTTPError:
                        self.latencies[service.name].append(5.0)
                self.stop.wait(0.05)

    def _read_memory(self) -> None:
        while not self.stop.is_set():
            self._sample_memory()
            self.stop.wait(1.0)

    def _sample_memory(self) -> None:
        children = _children()
        for service in SERVICES:
            for pid in _tree(self.stack.processes[service.name].pid, children):
                peak = _peak_resident_bytes(pid)
                known = self.peaks[service.name]
                known[pid] = max(known.get(pid, 0), peak)
                cpu = _cpu_seconds(pid)
                if cpu is not None:
                    # A process started during the import spent all its CPU time on it.
                    self.cpu_first[service.name].setdefault(pid, 0.0 if self.sampled else cpu)
                    self.cpu_last[service.name][pid] = cpu
        self.sampled = True

    def cpu_seconds(self, service: str) -> float:
        """CPU seconds the service's processes spent from the start until last seen."""
        first, last = self.cpu_first[service], self.cpu_last[service]
        return sum(last[pid] - first[pid] for pid in last)


def _children() -> dict[int, list[int]]:
    """Every process's children, from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # The command name (field 2) may hold spaces; the parent follows its ")".
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(stat.parent.name))
    return children


def _tree(root: int, children: dict[int, list[int]]) -> list[int]:
    found, waiting = [], [root]
    while waiting:
        pid = waiting.pop()
        found.append(pid)
        waiting += children.get(pid, [])
    return found


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float | None:
    """User and system time of the process so far; None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    # utime and stime are fields 14 and 15 of stat, 12 and 13 after the ")".
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


def _peak_resident_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def import_end_to_end(size: int, mode: str = "embedded") -> list[Result]:
    """Upload → import.completed for `size` executions, with /healthz p99 and peak memory."""
    with running_stack(mode) as stack, tempfile.TemporaryDirectory() as scratch:
        trader = _Trader(stack)
        csv_path = Path(scratch) / "executions.csv"
        write_csv(csv_path, size)
        with httpx.Client(base_url=stack.url("edge"), auth=trader, timeout=600) as client:
            account = client.get("/api/v1/accounts").json()["items"][0]["id"]
            watch = _Watch(stack)
            watch.start()
            started = time.perf_counter()
            with csv_path.open("rb") as upload:
                created = client.post(
                    "/api/v1/imports",
                    data={"account_id": account, "format": "generic_csv", "mode": "valid_only"},
                    files={"file": ("executions.csv", upload, "text/csv")},
                    headers={"idempotency-key": uuid.uuid4().hex},
                )
            created.raise_for_status()
            import_id = created.json()["id"]
            status = "queued"
            while status in ("queued", "running"):
                if time.perf_counter() - started > IMPORT_TIMEOUT_SECONDS:
                    raise TimeoutError(f"import of {size} executions still {status}")
                time.sleep(0.1)
                polled = client.get(f"/api/v1/imports/{import_id}")
                # A poll that fails (a gateway timeout on a busy machine) is polled again.
                if polled.status_code == 200:
                    status = polled.json()["status"]
            took = time.perf_counter() - started
            watch.finish()
        if status != "completed":
            raise RuntimeError(f"import of {size} executions ended {status}")
    results = [Result(f"import end to end ({mode})", size, size, "executions", (took,))]
    for service, latencies in watch.latencies.items():
        p99 = statistics.quantiles(latencies, n=100)[98] if len(latencies) > 1 else latencies[0]
        results.append(
            Result(f"/healthz p99 during import ({mode}): {service}", size, 0, "", (p99,))
        )
    for service, peaks in watch.peaks.items():
        sys.stdout.write(
            f"peak memory during import of {size:,} ({mode}): {service} "
            f"largest process {max(peaks.values(), default=0) / 2**20:.0f} MiB, "
            f"{len(peaks)} processes {sum(peaks.values()) / 2**20:.0f} MiB, "
            f"CPU {watch.cpu_seconds(service):.1f} s\n"
        )
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="system", description=__doc__.split("\n\n")[0])
    parser.add_argument("size", type=int)
    parser.add_argument("--modes", default=",".join(MODES), help="comma-separated modes")
    args = parser.parse_args(argv)
    for mode in args.modes.split(","):
        for result in import_end_to_end(args.size, mode):
            sys.stdout.write(f"{result.workload} @ {result.size:,}: {result.median:.3f} s\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
