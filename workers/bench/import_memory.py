"""Peak memory of the worker's import job on a large generic CSV, against a counting core.

    python bench/import_memory.py OUT [--rows 1000000]

Writes a generic CSV of N executions (`broker_files.write_generic`) into a local object
store, serves a stand-in for core's internal API that only counts what it is sent (so
its own memory stays small and out of the figure), and runs the import job for that file
in a process of its own: download, encoding and format detection, parse, batches of
1,000 executions sent to core, progress and outcome. The peak resident memory (VmHWM)
of that process plus its parse process's is the figure; it stays flat as N grows when
every step streams. One JSON line
goes to OUT (the root `make bench` format), with the peak in the workload name.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import socket
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import obstore
import uvicorn
from broker_files import write_file, write_generic
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from tradeloop_contracts import (
    ExecutionBatchResult,
    ImportCounts,
    ImportDetail,
    ImportOutcome,
    ImportRequested,
    ServiceToken,
    make_event,
)

from workers.core import CoreClient, core_http
from workers.imports.job import ImportJob
from workers.imports.parse_process import ParseProcess
from workers.imports.storage import open_object_store

CLIENT_SECRET = "bench-workers-secret"
OBJECT_KEY = "imports/large.csv"


class CountingCore:
    """Core's internal routes the import job calls; keeps the keys it has seen, no rows."""

    def __init__(self, request: ImportRequested) -> None:
        self.request = request
        self.keys: set[str] = set()
        self.outcome: ImportOutcome | None = None
        self.done = asyncio.Event()

    def app(self) -> Starlette:
        base = "/internal/users/{user_id}/imports/{import_id}"
        return Starlette(
            routes=[
                Route("/internal/token", self.token, methods=["POST"]),
                Route(base, self.get_import, methods=["GET"]),
                Route(base + "/progress", self.progress, methods=["POST"]),
                Route(base + "/outcome", self.record_outcome, methods=["POST"]),
                Route("/internal/users/{user_id}/executions/batch", self.batch, methods=["POST"]),
            ]
        )

    async def token(self, _: Request) -> Response:
        return _json(ServiceToken(access_token=uuid.uuid4().hex, expires_in=3600))

    async def get_import(self, _: Request) -> Response:
        detail = ImportDetail.model_validate(
            {
                "id": self.request.import_id,
                "account_id": self.request.account_id,
                "filename": self.request.filename,
                "format": self.request.format,
                "mode": self.request.mode,
                "status": "queued",
                "size_bytes": 0,
                "counts": ImportCounts(),
                "created_at": dt.datetime.now(dt.UTC),
            }
        )
        return _json(detail)

    async def progress(self, _: Request) -> Response:
        return Response(status_code=204)

    async def record_outcome(self, request: Request) -> Response:
        self.outcome = ImportOutcome.model_validate_json(await request.body())
        self.done.set()
        return Response(status_code=204)

    async def batch(self, request: Request) -> Response:
        body: dict[str, Any] = json.loads(await request.body())
        inserted = 0
        for execution in body["executions"]:
            key = execution["broker_execution_id"] or f"fp:{execution['fingerprint']}"
            if key not in self.keys:
                self.keys.add(key)
                inserted += 1
        result = ExecutionBatchResult(
            inserted=inserted, duplicates=len(body["executions"]) - inserted
        )
        return _json(result)


def _json(model: Any) -> Response:
    return JSONResponse(model.model_dump(mode="json"))


async def measure(rows: int, folder: Path) -> tuple[float, int, int, ImportOutcome]:
    """Seconds, the peak RSS in KiB of the import process and of its parse process, and
    the outcome core received."""
    store_url = (folder / "objects").as_uri()
    raw = folder / "large.csv"
    write_file(raw, write_generic, rows)
    await obstore.put_async(open_object_store(store_url), OBJECT_KEY, raw)
    raw.unlink()
    request = ImportRequested(
        user_id=uuid.uuid4(),
        import_id=uuid.uuid4(),
        account_id=uuid.uuid4(),
        object_key=OBJECT_KEY,
        filename="large.csv",
        format="auto",
        mode="valid_only",
    )
    core = CountingCore(request)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(core.app(), log_level="warning", lifespan="off"))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
    core_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--child",
        core_url,
        store_url,
        request.model_dump_json(),
        stdout=asyncio.subprocess.PIPE,
    )
    stdout, _ = await child.communicate()
    server.should_exit = True
    await serving
    sock.close()
    if child.returncode != 0 or core.outcome is None:
        raise RuntimeError(f"the import process failed (exit {child.returncode})")
    seconds, peak_kib, parse_peak_kib = stdout.decode().split()
    return float(seconds), int(peak_kib), int(parse_peak_kib), core.outcome


async def _run_import(core_url: str, store_url: str, request_json: str) -> None:
    request = ImportRequested.model_validate_json(request_json)
    started = time.perf_counter()
    async with core_http(core_url, timeout=60) as http:
        core = CoreClient(http, client_secret=SecretStr(CLIENT_SECRET), retry_seconds=60)
        parser = ParseProcess()
        job = ImportJob(core, open_object_store(store_url), parser)
        try:
            await job.handle(make_event("import.requested.v1", request, source="/bench"))
            took = time.perf_counter() - started
            parse_peak = _peak_rss_kib(parser.pid or 0)
        finally:
            await parser.aclose()
    sys.stdout.write(f"{took} {_peak_rss_kib('self')} {parse_peak}\n")


def _peak_rss_kib(pid: int | str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmHWM in /proc/{pid}/status (Linux only)")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path, nargs="?")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        asyncio.run(_run_import(*args.child))
        return 0
    if args.out is None:
        parser.error("OUT is required")
    with tempfile.TemporaryDirectory() as scratch:
        seconds, peak_kib, parse_peak_kib, outcome = asyncio.run(measure(args.rows, Path(scratch)))
    # The two run side by side: the import's memory is their sum.
    mib = (peak_kib + parse_peak_kib) / 1024
    counts = outcome.counts
    sys.stdout.write(
        f"import of {args.rows:,} generic CSV rows: {outcome.status} in {seconds:.1f} s "
        f"(new {counts.new:,}, duplicate {counts.duplicate:,}, rejected {counts.rejected:,}), "
        f"peak RSS {mib:.0f} MiB (import process {peak_kib / 1024:.0f} MiB, parse process "
        f"{parse_peak_kib / 1024:.0f} MiB)\n"
    )
    if outcome.status != "completed" or counts.new != args.rows:
        raise RuntimeError(f"the import did not store every row: {outcome.counts}")
    with args.out.open("a", encoding="utf-8") as out:
        row = {
            "workload": f"import job, generic CSV to a counting core (peak RSS {mib:.0f} MiB)",
            "size": args.rows,
            "items": args.rows,
            "unit": "executions",
            "seconds": [seconds],
        }
        out.write(json.dumps(row) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
