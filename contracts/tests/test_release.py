"""The release check and the `diff` command on files, directories and artifacts."""

import copy
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest

from tradeloop_contracts import build_schemas
from tradeloop_contracts._cli import main
from tradeloop_contracts._release import (
    bump_between,
    changelog_entry,
    check_release,
    schema_set_from_files,
)

EVENT = "events/import.requested.v1.json"
REQUEST = "requests/JournalEntryCreate.json"
RESPONSE = "responses/Position.json"


def _release(releases: Path, version: str, files: dict[str, Any]) -> None:
    releases.mkdir(exist_ok=True)
    with tarfile.open(releases / f"tradeloop-contracts-schemas-{version}.tar.gz", "w:gz") as tar:
        for name, schema in files.items():
            path = releases / "staging" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(schema))
            tar.add(path, arcname=f"./{name}")


@pytest.fixture
def released(tmp_path: Path) -> Path:
    releases = tmp_path / "releases"
    _release(releases, "1.0.0", build_schemas())
    return releases


def _edited(edit: Any) -> dict[str, Any]:
    files = copy.deepcopy(build_schemas())
    edit(files)
    return files


class TestReleaseCheck:
    def test_unchanged_schemas_pass_at_the_released_version(self, released: Path) -> None:
        check = check_release("1.0.0", schema_set_from_files(build_schemas()), released)
        assert check.ok
        assert check.required == "none"

    def test_a_breaking_edit_to_a_released_event_fails_with_its_pointer(
        self, released: Path
    ) -> None:
        def drop_import_id(files: dict[str, Any]) -> None:
            data = files[EVENT]["$defs"]["ImportRequested"]
            data["required"].remove("import_id")
            del data["properties"]["import_id"]

        check = check_release("2.0.0", schema_set_from_files(_edited(drop_import_id)), released)
        assert not check.ok
        assert any(
            p.startswith(f"{EVENT}#/properties/data/properties/import_id") for p in check.problems
        )
        assert any("new event version" in p for p in check.problems)

    def test_a_new_required_request_field_needs_a_major_version(self, released: Path) -> None:
        def require_mood(files: dict[str, Any]) -> None:
            files[REQUEST]["required"].append("mood")

        working = schema_set_from_files(_edited(require_mood))
        assert check_release("2.0.0", working, released).ok
        minor = check_release("1.1.0", working, released)
        assert minor.required == "major"
        assert any(
            "declares a minor change, but the schemas need major" in p for p in minor.problems
        )

    def test_a_new_response_field_is_minor(self, released: Path) -> None:
        def add_field(files: dict[str, Any]) -> None:
            files[RESPONSE]["properties"]["venue"] = {"type": "string"}

        working = schema_set_from_files(_edited(add_field))
        assert check_release("1.1.0", working, released).ok
        unchanged = check_release("1.0.0", working, released)
        assert any("already released" in p for p in unchanged.problems)

    def test_removing_a_released_event_version_is_major(self, released: Path) -> None:
        working = schema_set_from_files(_edited(lambda files: files.pop(EVENT)))
        assert check_release("1.1.0", working, released).required == "major"

    def test_documentation_only_is_a_patch(self, released: Path) -> None:
        def reword(files: dict[str, Any]) -> None:
            files[RESPONSE]["description"] = "Reworded."

        check = check_release("1.0.1", schema_set_from_files(_edited(reword)), released)
        assert check.ok
        assert check.required == "patch"

    def test_the_changelog_lists_each_change(self, released: Path) -> None:
        def add_field(files: dict[str, Any]) -> None:
            files[RESPONSE]["properties"]["venue"] = {"type": "string"}

        check = check_release("1.1.0", schema_set_from_files(_edited(add_field)), released)
        entry = changelog_entry(check, "2026-01-02")
        assert entry.startswith("## 1.1.0 - 2026-01-02")
        assert f"`{RESPONSE}#/properties/venue`" in entry


class TestBumpBetween:
    @pytest.mark.parametrize(
        ("old", "new", "bump"),
        [
            ("1.0.0", "1.0.0", "none"),
            ("1.0.0", "1.0.1", "patch"),
            ("1.0.9", "1.1.0", "minor"),
            ("1.4.2", "2.0.0", "major"),
            ("2.0.0", "1.9.0", "none"),
        ],
    )
    def test_the_declared_bump(self, old: str, new: str, bump: str) -> None:
        assert bump_between(old, new) == bump


def _write(path: Path, schema: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(schema))
    return path


class TestDiffCommand:
    def test_compatible_files_exit_zero(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        old = _write(tmp_path / "a/x.json", {"$id": "x", "type": "integer"})
        new = _write(tmp_path / "b/x.json", {"$id": "x", "type": "number"})
        assert main(["diff", str(old), str(new), "--mode", "backward"]) == 0
        assert "type-widened" in capsys.readouterr().out

    def test_a_breaking_change_exits_one_and_names_the_pointer(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        old = _write(tmp_path / "a/x.json", {"$id": "x", "properties": {"p": {"type": "number"}}})
        new = _write(tmp_path / "b/x.json", {"$id": "x", "properties": {"p": {"type": "integer"}}})
        assert main(["diff", str(old), str(new), "--mode", "backward", "--json"]) == 1
        [change] = json.loads(capsys.readouterr().out)
        assert change["pointer"] == "/properties/p/type"
        assert change["rule"] == "type-narrowed"
        assert change["breaking"] is True

    def test_directories_match_schemas_by_id_not_by_name(self, tmp_path: Path) -> None:
        _write(tmp_path / "a/one.json", {"$id": "x", "type": "string"})
        _write(tmp_path / "b/renamed.json", {"$id": "x", "type": "string"})
        assert main(["diff", str(tmp_path / "a"), str(tmp_path / "b"), "--mode", "full"]) == 0

    def test_unreadable_json_exits_two_naming_the_file(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        old = _write(tmp_path / "a/x.json", {"$id": "x"})
        new = tmp_path / "b/broken.json"
        new.parent.mkdir()
        new.write_text("{not json")
        assert main(["diff", str(old), str(new)]) == 2
        assert "broken.json" in capsys.readouterr().err

    def test_an_unresolvable_ref_exits_two_naming_the_file(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        old = _write(tmp_path / "a/x.json", {"$id": "x", "type": "string"})
        new = _write(tmp_path / "b/x.json", {"$id": "x", "$ref": "#/$defs/Missing"})
        assert main(["diff", str(old), str(new)]) == 2
        assert "x.json" in capsys.readouterr().err
