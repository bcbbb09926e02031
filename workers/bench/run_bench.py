"""Workers benchmarks: bus throughput and latency, and generic CSV parsing.

    python bench/run_bench.py OUT [--max-size N]

Writes one JSON object per line to OUT (the root `make bench` format). Bus workloads
publish N events and time until a consumer group has handled them all; latency is the
time from an event's `time` (set at publish) to its handler, as p50 and p99.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import json
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, TextIO

import redis
from tradeloop_contracts import Event, ImportProgressed, UserEventData, make_event
from tradeloop_contracts.bus import open_bus

from workers.imports.generic_csv import parse_generic_csv

SIZES = (1_000, 100_000)
CSV_SIZES = (1_000, 100_000)
REPEATS_SMALL = 5


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


def _write_csv(path: Path, rows: int) -> None:
    start = dt.datetime(2026, 1, 5, 9, 30, tzinfo=dt.UTC)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Time", "Symbol", "Side", "Quantity", "Price", "Commission", "Exec ID"])
        for n in range(rows):
            side = "BUY" if n % 2 == 0 else "SELL"
            when = (start + dt.timedelta(seconds=n)).isoformat()
            writer.writerow([when, "AAPL", side, "100", f"{190 + n % 7}.25", "1.00", f"X{n}"])


def bench_csv(out: TextIO, max_size: int, scratch: Path) -> None:
    for size in (s for s in CSV_SIZES if s <= max_size):
        path = scratch / f"generic-{size}.csv"
        _write_csv(path, size)
        runs = REPEATS_SMALL if size < 100_000 else 1
        seconds = []
        for _ in range(runs):
            started = time.perf_counter()
            with path.open(encoding="utf-8", newline="") as handle:
                parsed = sum(1 for _ in parse_generic_csv(handle))
            seconds.append(time.perf_counter() - started)
            assert parsed == size
        _row(out, "generic CSV parse", size, size, "rows", seconds)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--max-size", type=int, default=100_000)
    args = parser.parse_args()
    redis_url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    with tempfile.TemporaryDirectory() as scratch, args.out.open("a", encoding="utf-8") as out:
        folder = Path(scratch)
        bench_csv(out, args.max_size, folder)
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
