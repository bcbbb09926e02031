"""Split the monorepo into one git repository per folder, each with its own history.

    split-repos --into DIR [--source MONOREPO] [FOLDER ...]

For each folder (all seven by default) the monorepo's committed history is cloned into
`DIR/<folder>` and rewritten with git filter-repo's `--subdirectory-filter`: the folder's
files move to the root, commits that did not touch it disappear, and a commit that
touched several folders appears in each of their repositories with its message, author
and date. Uncommitted changes never travel. The new repositories have no remote; push
each to its empty GitHub repository (see docs/repository-checklist.md).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

FOLDERS = ("contracts", "core-api", "edge-bff", "workers", "ai-coach", "web-ui", "infra")
MONOREPO = Path(__file__).resolve().parents[3]


class SplitError(Exception):
    """A folder could not be split; the message names it and says why."""


def _filter_repo() -> str:
    """git-filter-repo from this environment (a dependency), else from PATH."""
    beside = Path(sys.executable).parent / "git-filter-repo"
    found = str(beside) if beside.exists() else shutil.which("git-filter-repo")
    if found is None:
        raise SplitError("git-filter-repo is missing: install this package's dependencies")
    return found


def _run(command: list[str], cwd: Path | None = None) -> None:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        raise SplitError(f"{' '.join(command[:3])} failed: {result.stderr.strip()[-500:]}")


def split(source: Path, into: Path, folder: str) -> Path:
    """The repository of `folder`, created at `into/folder` from `source`'s committed history.

    Raises SplitError when the target exists, the folder was never committed, or git fails.
    """
    target = into / folder
    if target.exists():
        raise SplitError(f"{target} already exists; split into an empty folder")
    listed = subprocess.run(
        ["git", "ls-tree", "-d", "HEAD", folder], cwd=source, capture_output=True, text=True
    )
    if listed.returncode != 0 or not listed.stdout.strip():
        raise SplitError(f"{folder}/ is not a committed folder of {source}")
    # A fresh clone is what filter-repo rewrites without --force, and keeps `source` intact.
    _run(["git", "clone", "--quiet", "--no-local", str(source), str(target)])
    _run([_filter_repo(), "--quiet", "--subdirectory-filter", folder], cwd=target)
    return target


def main(argv: list[str] | None = None) -> int:
    """The `split-repos` command: 0 once every folder is split, 1 with the reason otherwise."""
    parser = argparse.ArgumentParser(prog="split-repos", description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", metavar="FOLDER", help=f"of {', '.join(FOLDERS)}")
    parser.add_argument("--into", type=Path, required=True, help="an empty or new folder")
    parser.add_argument("--source", type=Path, default=MONOREPO)
    args = parser.parse_args(argv)
    unknown = set(args.folders) - set(FOLDERS)
    if unknown:
        parser.error(f"not a folder of the monorepo: {', '.join(sorted(unknown))}")
    args.into.mkdir(parents=True, exist_ok=True)
    for folder in args.folders or FOLDERS:
        try:
            target = split(args.source.resolve(), args.into.resolve(), folder)
        except SplitError as error:
            sys.stderr.write(f"split-repos: {error}\n")
            return 1
        sys.stdout.write(f"{folder}: {target}\n")
    return 0
