"""Run every folder's lint and tests, then print one total line.

Each folder's `make lint` and `make test` run in turn; pytest writes a JUnit report
per folder, and the totals across folders are printed last as
`total: N passed, N failed, N skipped`. The run fails when any step fails, when a
folder ran no test, or, under CI, when any test was skipped: a skipped database
half would hide a failure.

The system end-to-end run also checks what the stack logged: every service sends its
spans to a local OTLP receiver (infra's e2e/otlp_receiver.py) whose file the suite
reads, and afterwards the stack's log must hold none of the secrets the suite planted
(passwords, cookies, tokens), and every line of it must be a JSON object.

    python3 tools/run_tests.py [FOLDER ...]
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from dev import STOP_SECONDS, Stack

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("tools", "bench", "contracts", "core-api", "workers", "edge-bff", "ai-coach", "web-ui")
E2E_PORT_BASE = 18000
# infra's `make test` is the browser suite against a running system; its own unit tests
# are a separate target, and the browser suite runs against a stack started here.
TARGETS = {"infra": ("unit", "e2e")}
# Shorter values match too much ordinary text to say a secret leaked.
MIN_SECRET_LENGTH = 8
RECEIVER_START_SECONDS = 120.0


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


def _make(folder: str, target: str, *extra: str, env: dict[str, str] | None = None) -> bool:
    started = time.monotonic()
    result = subprocess.run(
        ["make", "--no-print-directory", "-C", folder, target, *extra],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )
    took = time.monotonic() - started
    sys.stdout.write(
        f"== {folder}: make {target} {'ok' if result.returncode == 0 else 'FAILED'} ({took:.0f}s)\n"
    )
    sys.stdout.flush()
    return result.returncode == 0


@dataclass(frozen=True)
class LogLine:
    """One line of the stack's log: its number in the file, the service, what it wrote."""

    number: int
    service: str
    text: str


def read_stack_log(path: Path) -> list[LogLine]:
    """The lines of a log written by dev.py's Stack (`<service> | <text>`)."""
    lines = []
    with path.open(encoding="utf-8", errors="replace") as log:
        for number, raw in enumerate(log, start=1):
            service, bar, text = raw.rstrip("\n").partition(" | ")
            if bar:
                lines.append(LogLine(number, service.strip(), text))
            else:
                lines.append(LogLine(number, "?", raw.rstrip("\n")))
    return lines


def read_planted_secrets(path: Path) -> list[tuple[str, str]]:
    """(what, value) pairs the suite planted: a JSON list of {"what", "value"} objects.
    A missing or unreadable file plants nothing."""
    try:
        planted = json.loads(path.read_text(encoding="utf-8"))
        return [(str(item["what"]), str(item["value"])) for item in planted]
    except (OSError, ValueError, TypeError, KeyError):
        return []


def _spellings(secret: str) -> set[str]:
    """The secret as written, inside a JSON string, and percent-encoded."""
    return {secret, json.dumps(secret)[1:-1], urllib.parse.quote(secret, safe="")}


def secret_leaks(lines: list[LogLine], secrets: list[tuple[str, str]]) -> list[str]:
    """One problem per log line holding a planted secret, naming what was planted, the
    service and the line, never the secret itself. Secrets shorter than
    MIN_SECRET_LENGTH characters are not looked for."""
    wanted = [
        (what, _spellings(value)) for what, value in secrets if len(value) >= MIN_SECRET_LENGTH
    ]
    return [
        f"e2e: the planted {what} appears in stack.log line {line.number} ({line.service})"
        for line in lines
        for what, spellings in wanted
        if any(spelling in line.text for spelling in spellings)
    ]


def non_json_lines(lines: list[LogLine]) -> list[str]:
    """One problem per service that wrote lines that are not JSON objects, with their
    count and first line numbers."""
    found: dict[str, list[int]] = defaultdict(list)
    for line in lines:
        try:
            is_object = isinstance(json.loads(line.text), dict)
        except ValueError:
            is_object = False
        if not is_object:
            found[line.service].append(line.number)
    return [
        f"e2e: {service} wrote {len(numbers)} line(s) that are not JSON objects "
        f"(stack.log line {', '.join(map(str, numbers[:5]))}{', ...' if len(numbers) > 5 else ''})"
        for service, numbers in sorted(found.items())
    ]


@contextmanager
def otlp_receiver(spans: Path) -> Iterator[str]:
    """Runs infra's OTLP trace receiver writing to `spans`; gives its base URL."""
    process = subprocess.Popen(
        ["uv", "run", "--locked", "--quiet", "python", "-m", "e2e.otlp_receiver"]
        + ["--spans", str(spans)],
        cwd=ROOT / "infra",
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert process.stdout is not None
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            ready = selector.select(timeout=RECEIVER_START_SECONDS)
        url = process.stdout.readline().strip() if ready else ""
        if not url.startswith("http://"):
            raise RuntimeError("the OTLP trace receiver did not start")
        yield url
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        process.stdout.close()


def _run_suite(report: Path, spans: Path, planted: Path, log_path: Path) -> bool:
    """Starts the receiver and the stack, runs the suite, stops both. Gives whether the
    suite passed; RuntimeError when something did not start."""
    with (
        tempfile.TemporaryDirectory(prefix="tradeloop-e2e-") as data,
        open(log_path, "w", encoding="utf-8") as log,
        otlp_receiver(spans) as traces_endpoint,
    ):
        stack = Stack(
            port_base=E2E_PORT_BASE,
            data_dir=Path(data),
            log=log,
            traces_endpoint=traces_endpoint,
        )
        try:
            stack.start()
        except (RuntimeError, subprocess.CalledProcessError) as error:
            stack.stop()
            raise RuntimeError(f"the stack did not start: {error}") from error
        try:
            return _make(
                "infra",
                "e2e",
                f"E2E_BASE_URL={stack.public_url}",
                f"PYTEST_ARGS=--junitxml={report}",
                env={"E2E_SPANS_FILE": str(spans), "E2E_PLANTED_SECRETS": str(planted)},
            )
        finally:
            stack.stop()


def _end_to_end(report: Path) -> list[str]:
    """Runs infra's browser suite against a fresh embedded stack on spare ports, its
    spans going to a local receiver; then checks the stack's log. Gives the problems."""
    results = ROOT / "test-results" / "e2e"
    results.mkdir(parents=True, exist_ok=True)
    spans, planted, log_path = (
        results / "spans.jsonl",
        results / "planted-secrets.json",
        results / "stack.log",
    )
    spans.unlink(missing_ok=True)
    planted.unlink(missing_ok=True)
    try:
        passed = _run_suite(report, spans, planted, log_path)
    except RuntimeError as error:
        sys.stdout.write(f"== e2e: {error} (see {log_path})\n")
        return [f"infra: {error}"]
    return [
        *([] if passed else ["infra: make e2e failed"]),
        *check_stack_log(read_stack_log(log_path), read_planted_secrets(planted)),
    ]


def check_stack_log(lines: list[LogLine], secrets: list[tuple[str, str]]) -> list[str]:
    """Problems with the stack's log: a planted secret in any line (or nothing planted,
    which would make the scan prove nothing), and lines that are not JSON objects."""
    if not secrets:
        return ["e2e: the suite planted no secret, so the log scan proves nothing"]
    return [*secret_leaks(lines, secrets), *non_json_lines(lines)]


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
                problems.extend(_end_to_end(report))
            elif not _make(folder, target, f"PYTEST_ARGS=--junitxml={report}"):
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
