"""Schema sets, their differences, and the version bump a set of differences needs."""

from __future__ import annotations

import json
import re
import tarfile
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ._compat import Change, Mode, Schema, SchemaError, compare_schemas

Kind = Literal["request", "response", "event", "schema"]
Bump = Literal["none", "patch", "minor", "major"]
BUMP_ORDER: tuple[Bump, ...] = ("none", "patch", "minor", "major")
MODE_OF_KIND: Mapping[Kind, Mode] = {
    "request": "backward",  # a new server must read what old clients send
    "response": "forward",  # an old client must read what a new server sends
    "event": "full",  # old and new consumers and producers meet on one stream
    "schema": "full",
}
ARTIFACT = re.compile(r"^tradeloop-contracts-schemas-(\d+)\.(\d+)\.(\d+)\.tar\.gz$")


class SchemaSetError(ValueError):
    """A schema file or directory that cannot be read; the message names the file."""


@dataclass(frozen=True)
class SchemaFile:
    """One schema of a set: where it came from, what it describes, and its content."""

    name: str
    kind: Kind
    schema: Schema


@dataclass(frozen=True)
class SchemaChange:
    """A change inside one schema file (or the file itself added or removed)."""

    file: str
    kind: Kind
    change: Change

    def breaks(self, mode: Mode | None = None) -> bool:
        return self.change.breaks(mode or MODE_OF_KIND[self.kind])

    def line(self, mode: Mode | None = None) -> str:
        verdict = "BREAKING" if self.breaks(mode) else "ok"
        detail = f" ({self.change.detail})" if self.change.detail else ""
        return f"{verdict:8} {self.change.rule:34} {self.file}#{self.change.pointer or '/'}{detail}"

    def as_dict(self, mode: Mode | None = None) -> dict[str, Any]:
        effective = mode or MODE_OF_KIND[self.kind]
        return {
            "file": self.file,
            "kind": self.kind,
            "mode": effective,
            **self.change.as_dict(effective),
        }


def _kind_of(name: str) -> Kind:
    first = name.split("/", 1)[0]
    return {"requests": "request", "responses": "response", "events": "event"}.get(first, "schema")  # type: ignore[return-value]


def _parse(name: str, raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SchemaSetError(f"{name}: not readable JSON: {error}") from error


def _add(found: dict[str, SchemaFile], name: str, raw: bytes) -> None:
    if name.rsplit("/", 1)[-1] == "index.json":
        return
    schema = _parse(name, raw)
    if not isinstance(schema, dict | bool):
        raise SchemaSetError(f"{name}: a schema is an object or a boolean")
    schema_id = schema.get("$id", name) if isinstance(schema, dict) else name
    if schema_id in found:
        raise SchemaSetError(f"{name}: $id {schema_id} is also in {found[schema_id].name}")
    found[schema_id] = SchemaFile(name, _kind_of(name), schema)


def load_schema_set(path: Path) -> dict[str, SchemaFile]:
    """Schemas by `$id` from one file, a directory, or a schemas `.tar.gz` artifact.

    Raises SchemaSetError naming the file that cannot be read.
    """
    found: dict[str, SchemaFile] = {}
    try:
        if path.is_dir():
            for file in sorted(path.rglob("*.json")):
                _add(found, file.relative_to(path).as_posix(), file.read_bytes())
        elif path.name.endswith(".tar.gz"):
            with tarfile.open(path, "r:gz") as archive:
                for member in sorted(archive.getmembers(), key=lambda m: m.name):
                    if member.isfile() and member.name.endswith(".json"):
                        data = archive.extractfile(member)
                        assert data is not None
                        _add(found, member.name.removeprefix("./"), data.read())
        else:
            _add(found, path.name, path.read_bytes())
    except (OSError, tarfile.TarError) as error:
        raise SchemaSetError(f"{path}: cannot read: {error}") from error
    return found


def schema_set_from_files(files: Mapping[str, Any]) -> dict[str, SchemaFile]:
    """Schemas by `$id` from an in-memory artifact (path → schema), like `build_schemas()`."""
    found: dict[str, SchemaFile] = {}
    for name, schema in sorted(files.items()):
        _add(found, name, json.dumps(schema).encode())
    return found


def diff_schema_sets(
    old: Mapping[str, SchemaFile], new: Mapping[str, SchemaFile]
) -> list[SchemaChange]:
    """Every change between two sets, schemas matched by `$id`.

    Raises SchemaSetError when a `$ref` in either set cannot be resolved.
    """
    old_by_id = {key: f.schema for key, f in old.items()}
    new_by_id = {key: f.schema for key, f in new.items()}
    changes: list[SchemaChange] = []
    for schema_id in sorted(set(old) | set(new)):
        if schema_id not in new:
            gone = old[schema_id]
            changes.append(
                SchemaChange(
                    gone.name,
                    gone.kind,
                    Change("schema-removed", "", narrows=True, widens=True, detail=schema_id),
                )
            )
            continue
        current = new[schema_id]
        if schema_id not in old:
            changes.append(
                SchemaChange(
                    current.name,
                    current.kind,
                    Change("schema-added", "", narrows=False, widens=False, detail=schema_id),
                )
            )
            continue
        try:
            found = compare_schemas(
                old[schema_id].schema, current.schema, old_others=old_by_id, new_others=new_by_id
            )
        except SchemaError as error:
            raise SchemaSetError(f"{current.name}: {error}") from error
        changes += [SchemaChange(current.name, current.kind, change) for change in found]
    return changes


@dataclass(frozen=True)
class Verdict:
    """The bump a change needs, or why no bump is enough."""

    bump: Bump
    reason: str
    refused: bool = False


def verdict(change: SchemaChange) -> Verdict:
    """What one change demands of the next version."""
    rule, moves = change.change.rule, change.change.narrows or change.change.widens
    if rule == "schema-added":
        return Verdict("minor", "a new schema")
    if rule == "schema-removed":
        what = "a released event version" if change.kind == "event" else "a released schema"
        return Verdict("major", f"removes {what}")
    if not moves:
        return Verdict("patch", "documentation only")
    if change.kind == "event":
        return Verdict(
            "major",
            "a released event version changed incompatibly: publish the "
            "change as a new event version beside it",
            refused=True,
        )
    if change.breaks():
        return Verdict("major", f"not {MODE_OF_KIND[change.kind]} compatible")
    return Verdict("minor", f"{MODE_OF_KIND[change.kind]} compatible")


def required_bump(changes: list[SchemaChange]) -> Bump:
    """The largest bump any change needs ('none' without changes)."""
    return max((verdict(c).bump for c in changes), key=BUMP_ORDER.index, default="none")


def bump_between(old: str, new: str) -> Bump:
    """What moving from version `old` to `new` declares."""
    before = tuple(int(p) for p in old.split("."))
    after = tuple(int(p) for p in new.split("."))
    if after <= before:
        return "none"
    if after[0] > before[0]:
        return "major"
    if after[1] > before[1]:
        return "minor"
    return "patch"


def released_versions(releases: Path) -> list[str]:
    """Versions with a schemas artifact in `releases`, oldest first."""
    found = []
    for path in releases.glob("tradeloop-contracts-schemas-*.tar.gz"):
        match = ARTIFACT.match(path.name)
        if match:
            found.append(tuple(int(p) for p in match.groups()))
    return [".".join(str(p) for p in version) for version in sorted(found)]


def artifact_path(releases: Path, version: str) -> Path:
    return releases / f"tradeloop-contracts-schemas-{version}.tar.gz"


@dataclass(frozen=True)
class ReleaseCheck:
    """The outcome of comparing the working schemas with the last release."""

    declared: str
    base: str | None
    changes: list[SchemaChange]
    required: Bump
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def check_release(declared: str, working: Mapping[str, SchemaFile], releases: Path) -> ReleaseCheck:
    """Compares `working` with the release `declared` replaces (or is) and judges the bump."""
    versions = released_versions(releases)
    declared_key = tuple(int(p) for p in declared.split("."))
    earlier = [v for v in versions if tuple(int(p) for p in v.split(".")) <= declared_key]
    base = earlier[-1] if earlier else None
    if base is None:
        return ReleaseCheck(declared, None, [], "none", [])
    changes = diff_schema_sets(load_schema_set(artifact_path(releases, base)), working)
    required = required_bump(changes)
    problems = [
        f"{c.file}#{c.change.pointer or '/'}: {verdict(c).reason} ({c.change.rule})"
        for c in changes
        if verdict(c).refused
    ]
    declared_bump = bump_between(base, declared)
    if base == declared and changes:
        problems.append(
            f"{declared} is already released and the schemas changed: declare a {required} version"
        )
    elif BUMP_ORDER.index(declared_bump) < BUMP_ORDER.index(required):
        problems.append(
            f"{base} -> {declared} declares a {declared_bump} change, "
            f"but the schemas need {required}"
        )
    return ReleaseCheck(declared, base, changes, required, problems)


def changelog_entry(check: ReleaseCheck, date: str) -> str:
    """A CHANGELOG section for the release, generated from the diff report."""
    lines = [f"## {check.declared} - {date}", ""]
    if check.base is None:
        lines.append("First release.")
    elif not check.changes:
        lines.append(f"No schema changes since {check.base}.")
    else:
        lines.append(f"Schema changes since {check.base} ({check.required}):")
        lines.append("")
        for change in check.changes:
            detail = f" - {change.change.detail}" if change.change.detail else ""
            lines.append(
                f"- `{change.file}#{change.change.pointer or '/'}` {change.change.rule}{detail}"
            )
    return "\n".join(lines) + "\n"


def read_declared_version(pyproject: Path) -> str:
    """The `version` of `[project]` in a pyproject.toml."""
    return str(tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"])
