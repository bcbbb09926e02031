"""`python run.py [--max-size N] [--runs N] [--only NAME]`: measure and write the report.

Besides its own workloads, it runs `make bench BENCH_OUT=<file>` in every folder whose
Makefile has a `bench` target; each folder measures its own workloads (with its own
environment) and writes one JSON object per line:
`{"workload": str, "size": int, "items": int, "unit": str, "seconds": [float, ...]}`;
items 0 marks a latency: its seconds are the latency itself.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from harness import Result, measure, write_report
from system import MODES, import_end_to_end
from workloads import WORKLOADS

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "docs" / "performance.md"
FOLDERS = ("contracts", "core-api", "workers", "edge-bff", "ai-coach", "web-ui", "infra")


def read_results(path: Path) -> list[Result]:
    """Results a folder wrote, one JSON object per line; raises ValueError on a bad line."""
    results = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            results.append(
                Result(
                    str(row["workload"]),
                    int(row["size"]),
                    int(row["items"]),
                    str(row["unit"]),
                    tuple(float(s) for s in row["seconds"]),
                )
            )
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"{path}:{number}: not a benchmark result: {error}") from error
    return results


def folder_results(folder: str, max_size: int) -> list[Result]:
    """Runs one folder's benchmarks; an empty list when it has none."""
    makefile = ROOT / folder / "Makefile"
    if not makefile.exists() or not re.search(r"^bench:", makefile.read_text(), re.M):
        return []
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "results.jsonl"
        subprocess.run(
            [
                "make",
                "--no-print-directory",
                "-C",
                str(ROOT / folder),
                "bench",
                f"BENCH_OUT={out}",
                f"BENCH_MAX_SIZE={max_size}",
            ],
            check=True,
        )
        return read_results(out) if out.exists() else []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench")
    parser.add_argument("--max-size", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5, help="runs below 100k; 1 at larger sizes")
    parser.add_argument("--only", help="run workloads whose name contains this")
    parser.add_argument("--report", type=Path, default=REPORT)
    parser.add_argument(
        "--system-sizes",
        default="100000",
        help="comma-separated import sizes for the whole-stack benchmark ('' to skip)",
    )
    parser.add_argument(
        "--system-modes",
        default=",".join(MODES),
        help="comma-separated modes of the whole-stack benchmark: embedded, distributed",
    )
    args = parser.parse_args(argv)
    results: list[Result] = []
    for workload in WORKLOADS:
        if args.only and args.only not in workload.name:
            continue
        for size in (s for s in workload.sizes if s <= args.max_size):
            result = measure(workload, size, args.runs if size < 100_000 else 1)
            sys.stdout.write(f"{workload.name} @ {size:,}: median {result.median:.3f} s\n")
            results.append(result)
    for folder in FOLDERS:
        for result in folder_results(folder, args.max_size):
            if not args.only or args.only in result.workload:
                sys.stdout.write(
                    f"{result.workload} @ {result.size:,}: median {result.median:.3f} s\n"
                )
                results.append(result)
    sizes = [int(size) for size in args.system_sizes.split(",") if size.strip()]
    for size, mode in itertools.product(sizes, args.system_modes.split(",")):
        for result in import_end_to_end(size, mode):
            sys.stdout.write(f"{result.workload} @ {result.size:,}: {result.median:.3f} s\n")
            results.append(result)
    write_report(args.report, results)
    sys.stdout.write(f"wrote {args.report}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
