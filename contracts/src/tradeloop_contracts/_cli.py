"""`tradeloop-contracts`: the schema artifact, the drift guard and the release check."""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import html
import json
import sys
from pathlib import Path

from ._compat import Mode
from ._release import (
    SchemaSetError,
    changelog_entry,
    check_release,
    diff_schema_sets,
    load_schema_set,
    read_declared_version,
    schema_set_from_files,
)
from ._schemas import build_schemas, write_schemas

EXIT_COMPATIBLE, EXIT_BREAKING, EXIT_BAD_INPUT = 0, 1, 2


def _schemas(args: argparse.Namespace) -> int:
    directory: Path = args.directory
    written = set(write_schemas(directory))
    for stale in directory.rglob("*.json"):
        if stale not in written:
            stale.unlink()
    print(f"wrote {len(written)} schemas to {directory}")
    return 0


def _index(args: argparse.Namespace) -> int:
    directory: Path = args.directory
    links = []
    for path in sorted(directory.iterdir()):
        if path.suffix == ".whl" or path.name.endswith(".tar.gz"):
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            name = html.escape(path.name)
            links.append(f'<a href="{name}#sha256={digest}">{name}</a><br>')
    page = "<!DOCTYPE html>\n<html><body>\n" + "\n".join(links) + "\n</body></html>\n"
    (directory / "index.html").write_text(page, encoding="utf-8")
    print(f"indexed {len(links)} files in {directory / 'index.html'}")
    return 0


def _diff(args: argparse.Namespace) -> int:
    mode: Mode | None = args.mode
    try:
        changes = diff_schema_sets(load_schema_set(args.old), load_schema_set(args.new))
    except SchemaSetError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.json:
        print(json.dumps([change.as_dict(mode) for change in changes], indent=2))
    else:
        for change in changes:
            print(change.line(mode))
    return EXIT_BREAKING if any(change.breaks(mode) for change in changes) else EXIT_COMPATIBLE


def _release_check(args: argparse.Namespace) -> int:
    root: Path = args.project
    declared = read_declared_version(root / "pyproject.toml")
    try:
        check = check_release(declared, schema_set_from_files(build_schemas()), root / "releases")
    except SchemaSetError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if check.base is None:
        print(f"{declared}: first release, nothing to compare")
    else:
        print(f"{declared} against released {check.base}: schemas need a {check.required} bump")
    for change in check.changes:
        print(f"  {change.line()}")
    for problem in check.problems:
        print(f"error: {problem}", file=sys.stderr)
    if args.changelog and check.ok:
        changelog: Path = args.changelog
        entry = changelog_entry(check, dt.date.today().isoformat())
        previous = changelog.read_text(encoding="utf-8") if changelog.exists() else ""
        title, _, rest = previous.partition("\n\n")
        if f"## {declared} " not in previous:
            body = f"{title or '# Changelog'}\n\n{entry}\n{rest}".rstrip("\n") + "\n"
            changelog.write_text(body, encoding="utf-8")
    return EXIT_COMPATIBLE if check.ok else EXIT_BREAKING


def main(argv: list[str] | None = None) -> int:
    """Runs one subcommand and returns its exit code."""
    parser = argparse.ArgumentParser(prog="tradeloop-contracts")
    commands = parser.add_subparsers(dest="command", required=True)

    schemas = commands.add_parser("schemas", help="write every JSON Schema into a directory")
    schemas.add_argument("directory", type=Path)
    schemas.set_defaults(run=_schemas)

    index = commands.add_parser("index", help="write a flat package index page with hashes")
    index.add_argument("directory", type=Path)
    index.set_defaults(run=_index)

    diff = commands.add_parser(
        "diff",
        help="compare two schema files, directories or artifacts (matched by $id)",
        description="Exit 0 when compatible, 1 when a change breaks, 2 on unreadable input. "
        "Without --mode each schema is judged by its kind: requests backward, "
        "responses forward, events full.",
    )
    diff.add_argument("old", type=Path)
    diff.add_argument("new", type=Path)
    diff.add_argument("--mode", choices=["backward", "forward", "full"])
    diff.add_argument("--json", action="store_true", help="print the changes as JSON")
    diff.set_defaults(run=_diff)

    release = commands.add_parser(
        "release-check",
        help="compare the working schemas with the last release and judge the declared version",
    )
    release.add_argument("--project", type=Path, default=Path("."))
    release.add_argument("--changelog", type=Path, help="prepend the release's entry here")
    release.set_defaults(run=_release_check)

    args = parser.parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
