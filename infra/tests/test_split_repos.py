"""split-repos on a small monorepo made here, and on the real one: one folder's split
repository installs alone, with contracts from the package index by its pin, and passes
its own lint and strict type check there."""

from __future__ import annotations

import os
import re
import subprocess
import urllib.request
from pathlib import Path

import pytest

from tradeloop_infra.split_repos import FOLDERS, SplitError, main, split

MONOREPO = Path(__file__).resolve().parents[2]
INDEX = "http://127.0.0.1:3141/"


def _git(repository: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=Ana", "-c", "user.email=ana@example.com", *args],
        cwd=repository,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def _commit(repository: Path, message: str, files: dict[str, str]) -> None:
    for name, text in files.items():
        (repository / name).parent.mkdir(parents=True, exist_ok=True)
        (repository / name).write_text(text)
    _git(repository, "add", *files)
    _git(repository, "commit", "-q", "-m", message)


@pytest.fixture
def monorepo(tmp_path: Path) -> Path:
    """Seven folders and the root's own files, with a history that crosses folders."""
    repository = tmp_path / "monorepo"
    repository.mkdir()
    _git(repository, "init", "-q", "-b", "main")
    _commit(
        repository,
        "Seven folders",
        {
            "README.md": "root\n",
            "tools/run.py": "print()\n",
            **{f"{folder}/README.md": f"# {folder}\n" for folder in FOLDERS},
        },
    )
    _commit(repository, "core-api: matching", {"core-api/src/matching.py": "x = 1\n"})
    _commit(
        repository,
        "Contracts 1.1.0 and the edge moves to it",
        {"contracts/releases/1.1.0.txt": "wheel\n", "edge-bff/pyproject.toml": "pin 1.1.0\n"},
    )
    _commit(repository, "tools: faster runner", {"tools/run.py": "print(1)\n"})
    (repository / "edge-bff" / "half-done.py").write_text("uncommitted\n")
    return repository


class TestSplitOfASmallMonorepo:
    def test_each_folder_becomes_a_repository_with_its_files_at_the_root(
        self, monorepo: Path, tmp_path: Path
    ) -> None:
        into = tmp_path / "split"
        assert main(["--source", str(monorepo), "--into", str(into)]) == 0
        assert sorted(p.name for p in into.iterdir()) == sorted(FOLDERS)
        edge = into / "edge-bff"
        assert sorted(_git(edge, "ls-files").splitlines()) == ["README.md", "pyproject.toml"]
        assert not (edge / "half-done.py").exists()
        assert _git(edge, "remote") == ""

    def test_history_keeps_the_commits_that_touched_the_folder(
        self, monorepo: Path, tmp_path: Path
    ) -> None:
        core = split(monorepo, tmp_path, "core-api")
        edge = split(monorepo, tmp_path, "edge-bff")
        assert _git(core, "log", "--format=%s").splitlines() == [
            "core-api: matching",
            "Seven folders",
        ]
        assert _git(edge, "log", "--format=%s %an").splitlines() == [
            "Contracts 1.1.0 and the edge moves to it Ana",
            "Seven folders Ana",
        ]
        contracts = split(monorepo, tmp_path, "contracts")
        assert "Contracts 1.1.0" in _git(contracts, "log", "-1", "--format=%s")
        assert _git(contracts, "show", "HEAD:releases/1.1.0.txt") == "wheel"

    def test_the_monorepo_is_left_as_it_was(self, monorepo: Path, tmp_path: Path) -> None:
        head = _git(monorepo, "rev-parse", "HEAD")
        split(monorepo, tmp_path, "workers")
        assert _git(monorepo, "rev-parse", "HEAD") == head
        assert (monorepo / "edge-bff" / "half-done.py").exists()

    def test_refuses_an_existing_target_and_an_unknown_folder(
        self, monorepo: Path, tmp_path: Path
    ) -> None:
        split(monorepo, tmp_path, "infra")
        with pytest.raises(SplitError, match="already exists"):
            split(monorepo, tmp_path, "infra")
        with pytest.raises(SplitError, match="billing/ is not a committed folder"):
            split(monorepo, tmp_path, "billing")


@pytest.mark.skipif(not (MONOREPO / ".git").exists(), reason="needs the monorepo's history")
class TestSplitOfThisRepository:
    def test_edge_installs_and_type_checks_alone_with_contracts_from_the_index_by_its_pin(
        self, tmp_path: Path
    ) -> None:
        try:
            urllib.request.urlopen(INDEX, timeout=5).close()
        except OSError as error:
            pytest.fail(
                f"the package index at {INDEX} does not answer ({error}): start it with "
                "`python3 tools/local_index.py start` at the monorepo's root"
            )
        edge = split(MONOREPO, tmp_path, "edge-bff")
        assert {"pyproject.toml", "uv.lock", "Makefile", "Dockerfile", "CODEOWNERS"} <= {
            p.name for p in edge.iterdir()
        }
        assert not (edge / "contracts").exists()
        pin = re.search(
            r'"tradeloop-contracts\[[^\]]*\]==([0-9.]+)"', (edge / "pyproject.toml").read_text()
        )
        assert pin is not None
        # The split repository's own tools, not this environment's or this make's.
        environment = {
            k: v
            for k, v in os.environ.items()
            if k not in {"VIRTUAL_ENV", "MAKEFLAGS", "MAKELEVEL"}
        }
        subprocess.run(["uv", "sync", "--locked", "--quiet"], cwd=edge, check=True, env=environment)
        installed = subprocess.run(
            [
                "uv",
                "run",
                "--locked",
                "python",
                "-c",
                "import importlib.metadata as m, edge_bff; print(m.version('tradeloop-contracts'))",
            ],
            cwd=edge,
            check=True,
            capture_output=True,
            text=True,
            env=environment,
        ).stdout.strip()
        assert installed == pin.group(1)
        lint = subprocess.run(
            ["make", "--no-print-directory", "lint"],
            cwd=edge,
            capture_output=True,
            text=True,
            env=environment,
        )
        assert lint.returncode == 0, lint.stdout[-2000:] + lint.stderr[-2000:]
