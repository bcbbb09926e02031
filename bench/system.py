"""System benchmarks: the whole embedded stack, driven like a client would drive it.

**import end to end**: a generic CSV of N executions uploaded through edge (bearer
token, Idempotency-Key) until core reports the import completed; meanwhile every
service's `/healthz` is polled, and its p99 is reported, because heavy work must never
block an event loop. The peak resident memory of each service process is read from
/proc while the import runs.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from generators import write_csv
from harness import Result

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
from dev import SERVICES, Stack

PORT_BASE = 19000
PASSWORD = "bench-password-2026"
IMPORT_TIMEOUT_SECONDS = 1800.0


@contextmanager
def running_stack() -> Iterator[Stack]:
    with tempfile.TemporaryDirectory(prefix="tradeloop-bench-") as data:
        log = open(Path(data) / "stack.log", "w", encoding="utf-8")
        stack = Stack(port_base=PORT_BASE, data_dir=Path(data), log=log)
        try:
            stack.start()
            yield stack
        finally:
            stack.stop()
            log.close()


def _bearer(stack: Stack) -> str:
    email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
    with httpx.Client(timeout=30) as client:
        client.post(
            f"{stack.url('core')}/v1/auth/signup", json={"email": email, "password": PASSWORD}
        ).raise_for_status()
        pair = client.post(
            f"{stack.url('edge')}/api/v1/auth/token", json={"email": email, "password": PASSWORD}
        )
        pair.raise_for_status()
        return str(pair.json()["access_token"])


class _Watch:
    """Polls every service's /healthz and reads its memory until stopped."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.latencies: dict[str, list[float]] = {s.name: [] for s in SERVICES}
        self.peak_rss: dict[str, int] = {s.name: 0 for s in SERVICES}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(timeout=5) as client:
            while not self.stop.is_set():
                for service in SERVICES:
                    started = time.perf_counter()
                    try:
                        client.get(f"{self.stack.url(service.name)}/healthz")
                        self.latencies[service.name].append(time.perf_counter() - started)
                    except httpx.HTTPError:
                        self.latencies[service.name].append(5.0)
                    self.peak_rss[service.name] = max(
                        self.peak_rss[service.name], self._rss(service.name)
                    )
                self.stop.wait(0.05)

    def _rss(self, service: str) -> int:
        """Resident bytes of the service's process tree (uv's runner and the server)."""
        root = self.stack.processes[service].pid
        total = 0
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                text = status.read_text()
            except OSError:
                continue
            fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
            pid, ppid = int(status.parent.name), int(fields.get("PPid", "0").strip())
            if pid == root or ppid == root:
                total += int(fields.get("VmRSS", "0 kB").split()[0]) * 1024
        return total


def import_end_to_end(size: int) -> list[Result]:
    """Upload → import.completed for `size` executions, with /healthz p99 and peak memory."""
    with running_stack() as stack, tempfile.TemporaryDirectory() as scratch:
        token = _bearer(stack)
        headers = {"authorization": f"Bearer {token}"}
        csv_path = Path(scratch) / "executions.csv"
        write_csv(csv_path, size)
        with httpx.Client(base_url=stack.url("edge"), headers=headers, timeout=600) as client:
            account = client.get("/api/v1/accounts").json()["items"][0]["id"]
            watch = _Watch(stack)
            watch.thread.start()
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
                status = client.get(f"/api/v1/imports/{import_id}").json()["status"]
            took = time.perf_counter() - started
            watch.stop.set()
            watch.thread.join()
        if status != "completed":
            raise RuntimeError(f"import of {size} executions ended {status}")
    results = [Result("import end to end (embedded)", size, size, "executions", (took,))]
    for service, latencies in watch.latencies.items():
        p99 = statistics.quantiles(latencies, n=100)[98] if len(latencies) > 1 else latencies[0]
        results.append(Result(f"/healthz p99 during import: {service}", size, 0, "", (p99,)))
    for service, peak in watch.peak_rss.items():
        sys.stdout.write(
            f"peak memory during import of {size:,}: {service} {peak / 2**20:.0f} MiB\n"
        )
    return results
