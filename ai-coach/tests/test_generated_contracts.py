"""The committed wire models are what the pinned contracts artifact generates."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "src" / "ai_coach" / "contracts"


class TestGeneratedContracts:
    def test_committed_models_match_a_fresh_generation(self, tmp_path: Path) -> None:
        result = subprocess.run(
            [
                sys.executable,
                str(ROOT / "tools" / "generate_contracts.py"),
                "--output",
                str(tmp_path),
            ],
            capture_output=True,
            text=True,
            check=False,
            cwd=ROOT,
        )
        assert result.returncode == 0, result.stderr
        fresh = {path.name: path.read_text() for path in tmp_path.glob("*.py")}
        committed = {path.name: path.read_text() for path in COMMITTED.glob("*.py")}
        stale = sorted(
            name
            for name in fresh.keys() | committed.keys()
            if fresh.get(name) != committed.get(name)
        )
        assert not stale, f"run `make generate`: {stale} differ from the pinned artifact"
