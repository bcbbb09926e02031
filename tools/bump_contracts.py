"""Pin every service to one released contracts version and re-lock it.

    python3 tools/bump_contracts.py 1.1.0

The version must already be in contracts/releases/ (the local index). Services
that depend on the wheel get `tradeloop-contracts==VERSION` (extras kept); a
service that generates its models from the schema artifact gets the artifact's
version and checksum in `[tool.<service>]`.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("core-api", "edge-bff", "workers", "ai-coach", "web-ui")
VERSION = re.compile(r"^\d+\.\d+\.\d+$")
WHEEL_PIN = re.compile(r'"tradeloop-contracts(\[[^\]]*\])?==[^"]*"')
ARTIFACT_VERSION = re.compile(r'^contracts-version = "[^"]*"$', re.M)
ARTIFACT_SHA = re.compile(r'^contracts-sha256 = "[^"]*"$', re.M)


def bump_text(text: str, version: str, artifact_sha256: str) -> str:
    """The pyproject text with every contracts pin moved to `version`."""
    text = WHEEL_PIN.sub(lambda m: f'"tradeloop-contracts{m.group(1) or ""}=={version}"', text)
    text = ARTIFACT_VERSION.sub(f'contracts-version = "{version}"', text)
    return ARTIFACT_SHA.sub(f'contracts-sha256 = "{artifact_sha256}"', text)


def main(argv: list[str]) -> int:
    if len(argv) != 2 or not VERSION.match(argv[1]):
        sys.stderr.write("usage: bump_contracts.py X.Y.Z\n")
        return 2
    version = argv[1]
    releases = ROOT / "contracts" / "releases"
    wheel = releases / f"tradeloop_contracts-{version}-py3-none-any.whl"
    artifact = releases / f"tradeloop-contracts-schemas-{version}.tar.gz"
    if not wheel.exists() or not artifact.exists():
        sys.stderr.write(f"contracts {version} is not released (run make -C contracts release)\n")
        return 1
    sha256 = hashlib.sha256(artifact.read_bytes()).hexdigest()
    for service in SERVICES:
        pyproject = ROOT / service / "pyproject.toml"
        if not pyproject.exists():
            continue
        before = pyproject.read_text(encoding="utf-8")
        after = bump_text(before, version, sha256)
        if after != before:
            pyproject.write_text(after, encoding="utf-8")
            # uv's cached page of the index may predate a version released minutes ago.
            subprocess.run(
                ["uv", "lock", "--quiet", "--refresh-package", "tradeloop-contracts"],
                cwd=pyproject.parent,
                check=True,
            )
            sys.stdout.write(f"{service}: pinned contracts {version}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
