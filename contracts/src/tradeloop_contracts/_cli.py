"""`tradeloop-contracts`: write the schema artifact and the local index page."""

from __future__ import annotations

import argparse
import hashlib
import html
import sys
from pathlib import Path

from ._schemas import write_schemas


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
    args = parser.parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
