"""Run every folder's lint and tests, then print one total line.

Each folder's `make lint` and `make test` run in turn; pytest writes a JUnit report
per folder, and the totals across folders are printed last as
`total: N passed, N failed, N skipped`. The run fails when any step fails, when a
folder ran no test, or, under CI, when any test was skipped: a skipped database
half would hide a failure.

    python3 tools/run_tests.py [FOLDER ...]
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from dev import Stack

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("tools", "bench", "contracts", "core-api", "workers", "edge-bff", "ai-coach", "web-ui")
E2E_PORT_BASE = 18000
# infra's `make test` is the browser suite against a running system; its own unit tests
# are a separate target, and the browser suite runs against a stack started here.
TARGETS = {"infra": ("unit", "e2e")}


@dataclass
class Counts:
    """Test outcomes of one JUnit report."""

    passed: int = 0
    failed: int = 0
    skipped: int = 0

    def __iadd__(self, other: Counts) -> Counts:
        self.passed += other.passed
        self.failed += other.failed
        self.skipped += other.skipped
        return self


def read_junit(path: Path) -> Counts:
    """Counts from a pytest JUnit XML file; a missing or unreadable file counts nothing."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return Counts()
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    counts = Counts()
    for suite in suites:
        tests = int(suite.get("tests", 0))
        failed = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        skipped = int(suite.get("skipped", 0))
        counts += Counts(passed=tests - failed - skipped, failed=failed, skipped=skipped)
    return counts


def _make(folder: str, target: str, *extra: str) -> bool:
    started = time.monotonic()
    result = subprocess.run(
        ["make", "--no-print-directory", "-C", folder, target, *extra], cwd=ROOT
    )
    took = time.monotonic() - started
    sys.stdout.write(
        f"== {folder}: make {target} {'ok' if result.returncode == 0 else 'FAILED'} ({took:.0f}s)\n"
    )
    sys.stdout.flush()
    return result.returncode == 0


def _end_to_end(report: Path) -> bool:
    """Runs infra's browser suite against a fresh embedded stack on spare ports."""
    results = ROOT / "test-results" / "e2e"
    results.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(prefix="tradeloop-e2e-") as data,
        open(results / "stack.log", "w", encoding="utf-8") as log,
    ):
        stack = Stack(port_base=E2E_PORT_BASE, data_dir=Path(data), log=log)
        try:
            stack.start()
        except (RuntimeError, subprocess.CalledProcessError) as error:
            sys.stdout.write(f"== e2e: the stack did not start: {error} (see {log.name})\n")
            stack.stop()
            return False
        try:
            return _make(
                "infra",
                "e2e",
                f"E2E_BASE_URL={stack.public_url}",
                f"PYTEST_ARGS=--junitxml={report}",
            )
        finally:
            stack.stop()


def main(argv: list[str]) -> int:
    folders = argv[1:] or [f for f in (*FOLDERS, "infra") if (ROOT / f / "Makefile").exists()]
    reports = ROOT / "test-results" / "junit"
    reports.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    total = Counts()
    for folder in folders:
        if not _make(folder, "lint"):
            problems.append(f"{folder}: lint failed")
        counts = Counts()
        for target in TARGETS.get(folder, ("test",)):
            report = reports / f"{folder}-{target}.xml"
            report.unlink(missing_ok=True)
            if target == "e2e":
                passed = _end_to_end(report)
            else:
                passed = _make(folder, target, f"PYTEST_ARGS=--junitxml={report}")
            if not passed:
                problems.append(f"{folder}: make {target} failed")
            counts += read_junit(report)
        if counts.passed + counts.failed == 0:
            problems.append(f"{folder}: ran no test")
        if counts.skipped and os.environ.get("CI"):
            problems.append(f"{folder}: {counts.skipped} test(s) skipped under CI")
        total += counts
    for problem in problems:
        sys.stdout.write(f"problem: {problem}\n")
    failed = total.failed or (1 if problems else 0)
    sys.stdout.write(f"total: {total.passed} passed, {failed} failed, {total.skipped} skipped\n")
    return 1 if problems or total.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
