"""Named workloads, timed repeatedly, reported as median and spread.

A workload is a function of its size that returns a callable to time (setup
happens before timing) and how many items one run handles. Results go to
`docs/performance.md` between markers, so the prose around the table stays.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

Prepared = tuple[Callable[[], object], int]
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


@dataclass(frozen=True)
class Workload:
    """A named, sized piece of work; `prepare(size)` returns what to time and its item count."""

    name: str
    sizes: tuple[int, ...]
    prepare: Callable[[int], Prepared]
    unit: str = "rows"


@dataclass(frozen=True)
class Result:
    """Seconds of each timed run of one workload at one size."""

    workload: str
    size: int
    items: int
    unit: str
    seconds: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def spread(self) -> tuple[float, float]:
        return min(self.seconds), max(self.seconds)

    @property
    def throughput(self) -> float:
        return self.items / self.median if self.median > 0 else float("inf")


def measure(workload: Workload, size: int, runs: int) -> Result:
    """Times `runs` runs after one untimed warm-up (skipped for a single run)."""
    action, items = workload.prepare(size)
    if runs > 1:
        action()
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        seconds.append(time.perf_counter() - started)
    return Result(workload.name, size, items, workload.unit, tuple(seconds))


def _duration(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def table(results: list[Result]) -> str:
    """A Markdown table of the results, with when and where they were measured."""
    lines = [
        f"Measured {dt.date.today().isoformat()} on {platform.machine()}, "
        f"Python {platform.python_version()}, {os.cpu_count() or 1} CPUs.",
        "",
        "| workload | size | runs | median | spread (min – max) | throughput |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        low, high = r.spread
        # A latency is reported as its duration alone: it handles no items per second.
        rate = f"{r.throughput:,.0f} {r.unit}/s" if r.items else "—"
        lines.append(
            f"| {r.workload} | {r.size:,} | {len(r.seconds)} | {_duration(r.median)} | "
            f"{_duration(low)} – {_duration(high)} | {rate} |"
        )
    return "\n".join(lines)


def write_report(path: Path, results: list[Result]) -> None:
    """Replaces the table between the markers in `path` (adding them when absent)."""
    block = f"{BEGIN}\n{table(results)}\n{END}"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Performance\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")
