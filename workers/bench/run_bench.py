"""Workers benchmarks: bus throughput and latency, and parsing of every import format.

    python bench/run_bench.py OUT [--max-size N]

Writes one JSON object per line to OUT (the root `make bench` format). Bus workloads
publish N events and time until a consumer group has handled them all; latency is the
time from an event's `time` (set at publish) to its handler, as p50 and p99. Parse
workloads read a generated export of N executions per format; the Flex XML one also runs
in a process of its own to report its peak resident memory (streaming keeps it flat).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

import redis
from broker_files import WRITERS, write_file, write_flex_xml
from tradeloop_contracts import Event, ImportProgressed, UserEventData, make_event
from tradeloop_contracts.bus import open_bus

from workers.imports.decoding import open_text
from workers.imports.detect import parse_text

SIZES = (1_000, 10_000, 100_000)
PARSE_SIZES = (10_000, 100_000)
REPEATS_SMALL = 5
PARSE_REPEATS_SMALL = 3
NEW_YORK = ZoneInfo("America/New_York")


def _row(
    out: TextIO, workload: str, size: int, items: int, unit: str, seconds: list[float]
) -> None:
    out.write(
        json.dumps(
            {"workload": workload, "size": size, "items": items, "unit": unit, "seconds": seconds}
        )
        + "\n"
    )
    out.flush()


async def _bus_run(url: str, count: int) -> tuple[float, list[float]]:
    """Seconds to publish and handle `count` events, and each event's latency."""
    bus = open_bus(url)
    user = uuid.uuid4()
    latencies: list[float] = []
    done = asyncio.Event()
    stop = asyncio.Event()

    async def handle(event: Event[UserEventData]) -> None:
        latencies.append((dt.datetime.now(dt.UTC) - event.time).total_seconds())
        if len(latencies) >= count:
            done.set()

    consumer = asyncio.create_task(
        bus.consume(
            group=f"bench-{uuid.uuid4().hex[:8]}",
            consumer="c1",
            families=["import"],
            handler=handle,
            stop=stop,
            batch=100,
        )
    )
    await asyncio.sleep(0.2)  # the group exists before the first publish
    started = time.perf_counter()
    import_id = uuid.uuid4()
    for n in range(count):
        data = ImportProgressed(user_id=user, import_id=import_id, rows_processed=n)
        await bus.publish(make_event("import.progressed.v1", data, source="/bench"))
    await done.wait()
    took = time.perf_counter() - started
    stop.set()
    await consumer
    await bus.close()
    return took, latencies


def bench_bus(out: TextIO, name: str, url_of: Any, max_size: int) -> None:
    for size in (s for s in SIZES if s <= max_size):
        runs = REPEATS_SMALL if size < 100_000 else 1
        totals: list[float] = []
        p50s: list[float] = []
        p99s: list[float] = []
        for _ in range(runs):
            took, latencies = asyncio.run(_bus_run(url_of(), size))
            totals.append(took)
            cuts = statistics.quantiles(latencies, n=100)
            p50s.append(cuts[49])
            p99s.append(cuts[98])
        _row(out, f"bus publish+handle ({name})", size, size, "messages", totals)
        _row(out, f"bus latency p50 ({name})", size, 0, "messages", p50s)
        _row(out, f"bus latency p99 ({name})", size, 0, "messages", p99s)


def _parse(path: Path, file_format: Any) -> int:
    with open_text(path.open("rb"), "utf-8") as text:
        return sum(1 for _ in parse_text(text, file_format, NEW_YORK))


def bench_parsers(out: TextIO, max_size: int, scratch: Path) -> None:
    for size in (s for s in PARSE_SIZES if s <= max_size):
        for name, file_format, writer in WRITERS:
            path = scratch / f"{file_format}-{size}"
            write_file(path, writer, size)
            runs = PARSE_REPEATS_SMALL if size < max(PARSE_SIZES) else 1
            seconds = []
            for _ in range(runs):
                started = time.perf_counter()
                parsed = _parse(path, file_format)
                seconds.append(time.perf_counter() - started)
                if parsed != size:
                    raise RuntimeError(f"{name}: {parsed} rows parsed of {size}")
            _row(out, f"{name} parse", size, size, "rows", seconds)
            path.unlink()


def bench_flex_memory(out: TextIO, max_size: int, scratch: Path) -> None:
    """Peak RSS of a process that only parses a Flex XML file, at each size: flat when the
    parser streams. Reported in the workload name (the row format has no memory field)."""
    for size in (s for s in PARSE_SIZES if s <= max_size):
        path = scratch / f"flex-{size}.xml"
        write_file(path, write_flex_xml, size)
        child = subprocess.run(
            [sys.executable, __file__, "--flex-peak", str(path)],
            check=True,
            capture_output=True,
            text=True,
        )
        seconds, peak_kib = child.stdout.split()
        mib = int(peak_kib) / 1024
        sys.stdout.write(f"Flex XML parse of {size:,} executions: peak RSS {mib:.0f} MiB\n")
        _row(
            out,
            f"IBKR Flex XML parse (own process, peak RSS {mib:.0f} MiB)",
            size,
            size,
            "rows",
            [float(seconds)],
        )
        path.unlink()


def _flex_peak(path: Path) -> None:
    started = time.perf_counter()
    _parse(path, "ibkr_flex_xml")
    took = time.perf_counter() - started
    sys.stdout.write(f"{took} {_peak_rss_kib()}\n")


def _peak_rss_kib() -> int:
    # VmHWM is this process's own peak; ru_maxrss (the fallback off Linux) keeps the
    # parent's peak across fork and exec.
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path, nargs="?")
    parser.add_argument("--max-size", type=int, default=100_000)
    parser.add_argument("--flex-peak", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.flex_peak:
        _flex_peak(args.flex_peak)
        return 0
    if args.out is None:
        parser.error("OUT is required")
    redis_url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    with tempfile.TemporaryDirectory() as scratch, args.out.open("a", encoding="utf-8") as out:
        folder = Path(scratch)
        bench_flex_memory(out, args.max_size, folder)
        bench_parsers(out, args.max_size, folder)
        bench_bus(
            out, "embedded", lambda: f"sqlite:///{folder}/bus-{uuid.uuid4().hex}.db", args.max_size
        )
        prefix = f"bench{uuid.uuid4().hex[:8]}"
        try:
            bench_bus(
                out,
                "redis",
                lambda: f"{redis_url}?prefix={prefix}{uuid.uuid4().hex[:6]}",
                args.max_size,
            )
        finally:
            client = redis.Redis.from_url(redis_url)
            for key in client.scan_iter(f"{prefix}*"):
                client.delete(key)
            client.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
