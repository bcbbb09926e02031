from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.github_stub import GitHubStub, serve_github
from tests.local_registry import LocalRegistry, run_registry


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRegistry]:
    with run_registry(tmp_path_factory.mktemp("registry")) as running:
        yield running


@pytest.fixture
def github() -> Iterator[GitHubStub]:
    with serve_github() as stub:
        yield stub


@pytest.fixture
def infra_root() -> Path:
    return Path(__file__).resolve().parent.parent
