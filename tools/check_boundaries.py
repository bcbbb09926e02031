"""Fail when a folder reaches into another folder, or uses contracts without an exact pin.

Each top-level folder becomes a repository of its own. Code may share only the
published contracts package, pinned by exact version and installed from an index,
so this check refuses:
- an import of another folder's package;
- a `tradeloop-contracts` requirement that is not `==X.Y.Z`;
- a path, editable, git or workspace source for it, in `pyproject.toml` or `uv.lock`;
- a `sys.path` change that points outside the folder.

    python3 tools/check_boundaries.py [ROOT]
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PACKAGES = {
    "contracts": "tradeloop_contracts",
    "core-api": "core_api",
    "edge-bff": "edge_bff",
    "workers": "workers",
    "ai-coach": "ai_coach",
    "web-ui": "web_ui",
    "infra": "tradeloop_infra",
}
SHARED = "tradeloop_contracts"
CONTRACTS_DIST = "tradeloop-contracts"
EXACT_PIN = re.compile(r"^tradeloop-contracts(\[[\w,\s-]+\])?\s*==\s*\d+\.\d+\.\d+$")
SKIPPED_DIRS = {".venv", "node_modules", "build", "dist", "__pycache__", ".mypy_cache"}


@dataclass(frozen=True)
class Breach:
    """One rule broken at one place."""

    where: str
    rule: str

    def __str__(self) -> str:
        return f"{self.where}: {self.rule}"


def _python_files(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.rglob("*.py")):
        if not SKIPPED_DIRS.intersection(path.relative_to(folder).parts):
            yield path


def _imported_roots(tree: ast.AST) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module.split(".")[0]


def _path_escapes(tree: ast.AST) -> Iterator[int]:
    # sys.path.insert/append with a literal or expression mentioning a parent folder.
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in {"insert", "append", "extend"}
            and ast.unparse(node.func.value) == "sys.path"
            and (".." in ast.unparse(node) or "parent" in ast.unparse(node))
        ):
            yield node.lineno


def check_imports(root: Path, folder: str) -> Iterator[Breach]:
    """Imports of packages owned by other folders."""
    foreign = {pkg: name for name, pkg in PACKAGES.items() if name != folder and pkg != SHARED}
    for path in _python_files(root / folder):
        where = path.relative_to(root)
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        except SyntaxError as error:
            yield Breach(f"{where}:{error.lineno}", f"cannot parse: {error.msg}")
            continue
        for line, module in _imported_roots(tree):
            if module in foreign:
                yield Breach(f"{where}:{line}", f"imports {module} from {foreign[module]}/")
        for line in _path_escapes(tree):
            yield Breach(f"{where}:{line}", "changes sys.path to reach outside the folder")


def check_pin(root: Path, folder: str) -> Iterator[Breach]:
    """A contracts dependency must be an exact pin from an index."""
    pyproject = root / folder / "pyproject.toml"
    if folder == "contracts" or not pyproject.exists():
        return
    where = str(pyproject.relative_to(root))
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    requirements = list(data.get("project", {}).get("dependencies", []))
    for group in data.get("dependency-groups", {}).values():
        requirements += [r for r in group if isinstance(r, str)]
    for requirement in requirements:
        name = re.split(r"[\s\[=<>!~;@]", requirement, maxsplit=1)[0].lower().replace("_", "-")
        if name == CONTRACTS_DIST and not EXACT_PIN.match(requirement.strip()):
            yield Breach(where, f"'{requirement}' is not an exact pin (==X.Y.Z)")
    source = data.get("tool", {}).get("uv", {}).get("sources", {}).get(CONTRACTS_DIST)
    if source is not None and "index" not in source:
        yield Breach(where, f"{CONTRACTS_DIST} must come from an index, not {source}")
    workspace = data.get("tool", {}).get("uv", {}).get("workspace")
    if workspace is not None:
        yield Breach(where, "a uv workspace ties folders together")
    lock = root / folder / "uv.lock"
    if lock.exists():
        for package in tomllib.loads(lock.read_text(encoding="utf-8")).get("package", []):
            if package.get("name") == CONTRACTS_DIST and "registry" not in package["source"]:
                yield Breach(
                    str(lock.relative_to(root)),
                    f"{CONTRACTS_DIST} is locked from {package['source']}, not an index",
                )


def check(root: Path) -> list[Breach]:
    """Every breach under `root`, in folder order."""
    breaches: list[Breach] = []
    for folder in PACKAGES:
        if (root / folder).is_dir():
            breaches += check_imports(root, folder)
            breaches += check_pin(root, folder)
    return breaches


def main(argv: list[str]) -> int:
    root = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent.parent
    breaches = check(root)
    for breach in breaches:
        sys.stderr.write(f"{breach}\n")
    if breaches:
        sys.stderr.write(f"{len(breaches)} boundary breach(es)\n")
        return 1
    sys.stdout.write("boundaries: no folder reaches into another; contracts pinned exactly\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
