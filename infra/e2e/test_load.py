"""The smoke load against the system at E2E_BASE_URL, small and short (see e2e/load.py)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

INFRA = Path(__file__).resolve().parent.parent
TRAFFIC = ("GET dashboard", "GET positions", "POST import")


def _load(base_url: str, *args: str) -> tuple[int, dict[str, Any], str]:
    # Its own process: locust patches the standard library with gevent on import.
    result = subprocess.run(
        [sys.executable, "-m", "e2e.load", "--base-url", base_url, *args],
        cwd=INFRA,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result.returncode, json.loads(result.stdout.splitlines()[-1]), result.stderr


def test_a_few_traders_stay_within_the_thresholds(base_url: str) -> None:
    code, summary, errors = _load(base_url, "--users", "4", "--seconds", "5")
    assert code == 0, errors
    assert summary["problems"] == []
    requests = summary["by_request"]
    assert requests["POST signup"]["requests"] == 4
    # Which tasks a short run picks is random; that traffic flowed, and none failed, is not.
    traffic = [requests.get(name, {}) for name in TRAFFIC]
    assert sum(entry.get("requests", 0) for entry in traffic) > 0
    assert all(entry["failures"] == 0 for entry in requests.values())
    assert summary["p50_ms"] <= summary["p99_ms"]


def test_a_run_above_a_threshold_fails_and_says_which(base_url: str) -> None:
    code, summary, errors = _load(
        base_url, "--users", "1", "--seconds", "5", "--max-p50-ms", "0.001"
    )
    assert code == 1
    assert summary["requests"] > 0
    assert re.search(r"p50 \d+ ms above 0 ms", errors), errors
