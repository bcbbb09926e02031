"""Secrets the suite hands the system, written down so the run can check afterwards
that no service logged them (tools/run_tests.py scans the stack's log for each).

The list goes to the file named by E2E_PLANTED_SECRETS, a JSON list of
`{"what": ..., "value": ...}`; without that setting (a run against a system whose
logs are elsewhere) nothing is written.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

SESSION_COOKIE = "__Host-tradeloop_session"


def plant(what: str, value: str) -> None:
    """Records `value` (described by `what`, which reports may show) as a secret that
    must appear in no log line."""
    setting = os.environ.get("E2E_PLANTED_SECRETS")
    if not setting:
        return
    path = Path(setting)
    planted = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
    planted.append({"what": what, "value": value})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(planted, indent=1), encoding="utf-8")
