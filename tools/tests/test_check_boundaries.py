from pathlib import Path

import pytest

from check_boundaries import check

PIN = """
[project]
name = "svc"
version = "0.1.0"
dependencies = [{requirement!r}]

[tool.uv.sources]
tradeloop-contracts = {source}
"""


def _folder(root: Path, name: str, files: dict[str, str]) -> None:
    for relative, text in files.items():
        path = root / name / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _pyproject(requirement: str, source: str = '{ index = "tradeloop" }') -> str:
    return PIN.format(requirement=requirement, source=source)


class TestImports:
    def test_importing_contracts_is_allowed(self, tmp_path: Path) -> None:
        _folder(tmp_path, "workers", {"src/workers/a.py": "import tradeloop_contracts\n"})
        assert check(tmp_path) == []

    @pytest.mark.parametrize(
        "line", ["import core_api", "from core_api.db import x", "import edge_bff.app as e"]
    )
    def test_importing_another_folder_is_a_breach(self, tmp_path: Path, line: str) -> None:
        _folder(tmp_path, "workers", {"src/workers/a.py": f"\n{line}\n"})
        [breach] = check(tmp_path)
        assert breach.where == "workers/src/workers/a.py:2"
        assert "imports" in breach.rule

    def test_a_folder_may_import_itself(self, tmp_path: Path) -> None:
        _folder(tmp_path, "core-api", {"tests/test_a.py": "from core_api import app\n"})
        assert check(tmp_path) == []

    def test_reaching_out_through_sys_path_is_a_breach(self, tmp_path: Path) -> None:
        code = "import sys\nsys.path.insert(0, '../core-api/src')\n"
        _folder(tmp_path, "edge-bff", {"tests/conftest.py": code})
        [breach] = check(tmp_path)
        assert "sys.path" in breach.rule

    def test_unparseable_code_is_reported_not_skipped(self, tmp_path: Path) -> None:
        _folder(tmp_path, "web-ui", {"src/web_ui/a.py": "def (:\n"})
        [breach] = check(tmp_path)
        assert "cannot parse" in breach.rule


class TestPin:
    @pytest.mark.parametrize(
        "requirement", ["tradeloop-contracts==1.0.0", "tradeloop-contracts[redis]==1.2.3"]
    )
    def test_exact_pins_from_an_index_pass(self, tmp_path: Path, requirement: str) -> None:
        _folder(tmp_path, "core-api", {"pyproject.toml": _pyproject(requirement)})
        assert check(tmp_path) == []

    @pytest.mark.parametrize(
        "requirement",
        ["tradeloop-contracts>=1.0.0", "tradeloop-contracts~=1.0", "tradeloop-contracts"],
    )
    def test_ranges_are_breaches(self, tmp_path: Path, requirement: str) -> None:
        _folder(tmp_path, "core-api", {"pyproject.toml": _pyproject(requirement)})
        [breach] = check(tmp_path)
        assert "not an exact pin" in breach.rule

    def test_a_path_source_is_a_breach(self, tmp_path: Path) -> None:
        pyproject = _pyproject("tradeloop-contracts==1.0.0", '{ path = "../contracts" }')
        _folder(tmp_path, "core-api", {"pyproject.toml": pyproject})
        [breach] = check(tmp_path)
        assert "must come from an index" in breach.rule

    def test_a_lock_from_a_directory_is_a_breach(self, tmp_path: Path) -> None:
        lock = '[[package]]\nname = "tradeloop-contracts"\nversion = "1.0.0"\n'
        lock += 'source = { directory = "../contracts" }\n'
        files = {"pyproject.toml": _pyproject("tradeloop-contracts==1.0.0"), "uv.lock": lock}
        _folder(tmp_path, "core-api", files)
        [breach] = check(tmp_path)
        assert "not an index" in breach.rule
