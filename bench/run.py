"""`python run.py [--max-size N] [--runs N] [--only NAME]`: measure and write the report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness import Result, measure, write_report
from workloads import WORKLOADS

REPORT = Path(__file__).resolve().parent.parent / "docs" / "performance.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench")
    parser.add_argument("--max-size", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5, help="runs below 100k; 1 at larger sizes")
    parser.add_argument("--only", help="run workloads whose name contains this")
    parser.add_argument("--report", type=Path, default=REPORT)
    args = parser.parse_args(argv)
    results: list[Result] = []
    for workload in WORKLOADS:
        if args.only and args.only not in workload.name:
            continue
        for size in (s for s in workload.sizes if s <= args.max_size):
            result = measure(workload, size, args.runs if size < 100_000 else 1)
            sys.stdout.write(f"{workload.name} @ {size:,}: median {result.median:.3f} s\n")
            results.append(result)
    write_report(args.report, results)
    sys.stdout.write(f"wrote {args.report}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
