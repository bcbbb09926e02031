"""The workloads `make bench` knows, by name."""

from __future__ import annotations

import tempfile
from pathlib import Path

from generators import executions, write_csv
from harness import Prepared, Workload

SCRATCH = Path(tempfile.gettempdir())


def _generate(size: int) -> Prepared:
    def run() -> None:
        for _ in executions(size):
            pass

    return run, size


def _write_csv(size: int) -> Prepared:
    target = SCRATCH / f"tradeloop-bench-{size}.csv"

    def run() -> None:
        write_csv(target, size)

    return run, size


WORKLOADS = (
    Workload("generate executions", (1_000, 100_000, 1_000_000), _generate),
    Workload("write generic CSV", (1_000, 100_000, 1_000_000), _write_csv),
)
