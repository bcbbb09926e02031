"""The migration linter: expand, backfill, contract, never all in one release.

A migration may not drop or rename a table or column, narrow a column's type, or make a
column of an existing table NOT NULL without a server default, because the release before
it is still running against the same database while it deploys. Such a step is allowed
only in a migration that declares itself the contract step of an expand shipped earlier,
with a module-level `contract_of = "<revision of the expand>"`.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

VERSIONS = Path(__file__).parent / "migrations" / "versions"
_RAW_DESTRUCTIVE = re.compile(r"\b(DROP|RENAME)\b|\bALTER\s+COLUMN\b.*\bTYPE\b", re.IGNORECASE)
# Type changes known to keep every value; anything else may narrow.
_WIDER = {
    ("SmallInteger", "Integer"),
    ("SmallInteger", "BigInteger"),
    ("Integer", "BigInteger"),
    ("String", "Text"),
    ("Unicode", "UnicodeText"),
}


@dataclass(frozen=True)
class Violation:
    """One rule one migration broke, and where."""

    file: str
    line: int
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.rule}: {self.message}"


@dataclass(frozen=True)
class Migration:
    path: Path
    revision: str
    down_revision: str | None
    contract_of: str | None
    tree: ast.Module


def lint(versions: Path = VERSIONS) -> list[Violation]:
    """Every violation in the migrations of `versions`, in file order.

    A `contract_of` that names no earlier revision of the chain is itself a violation.
    """
    migrations = [_read(path) for path in sorted(versions.glob("*.py"))]
    by_revision = {migration.revision: migration for migration in migrations}
    found: list[Violation] = []
    for migration in migrations:
        if migration.contract_of is not None:
            if migration.contract_of in _ancestors(migration, by_revision):
                continue
            found.append(
                Violation(
                    migration.path.name,
                    1,
                    "contract-of-unknown",
                    f"contract_of names {migration.contract_of!r}, not an earlier revision",
                )
            )
        found.extend(_destructive_steps(migration))
    return found


def _read(path: Path) -> Migration:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    values: dict[str, object] = {}
    for node in tree.body:
        target, value = _assignment(node)
        if target in ("revision", "down_revision", "contract_of") and value is not None:
            try:
                values[target] = ast.literal_eval(value)
            except ValueError:
                values[target] = None
    down = values.get("down_revision")
    contract = values.get("contract_of")
    return Migration(
        path=path,
        revision=str(values.get("revision")),
        down_revision=down if isinstance(down, str) else None,
        contract_of=contract if isinstance(contract, str) else None,
        tree=tree,
    )


def _assignment(node: ast.stmt) -> tuple[str | None, ast.expr | None]:
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target = node.targets[0]
        return (target.id if isinstance(target, ast.Name) else None), node.value
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return node.target.id, node.value
    return None, None


def _ancestors(migration: Migration, by_revision: dict[str, Migration]) -> set[str]:
    seen: set[str] = set()
    current = migration.down_revision
    while current is not None and current not in seen:
        seen.add(current)
        parent = by_revision.get(current)
        current = parent.down_revision if parent else None
    return seen


def _destructive_steps(migration: Migration) -> Iterator[Violation]:
    upgrade = next(
        (
            node
            for node in migration.tree.body
            if isinstance(node, ast.FunctionDef) and node.name == "upgrade"
        ),
        None,
    )
    if upgrade is None:
        return
    created = {
        _text(call.args[0])
        for call in _calls(upgrade)
        if _name(call) == "create_table" and call.args
    }
    batch_tables = _batch_tables(upgrade)

    def violation(call: ast.Call, rule: str, message: str) -> Violation:
        return Violation(migration.path.name, call.lineno, rule, message)

    for call in _calls(upgrade):
        name = _name(call)
        table = _table(call, batch_tables)
        if name == "drop_table":
            yield violation(call, "drop-table", f"drops table {table}")
        elif name == "drop_column":
            column = _text(call.args[-1]) if call.args else "?"
            yield violation(call, "drop-column", f"drops column {table}.{column}")
        elif name == "rename_table":
            yield violation(call, "rename-table", f"renames table {table}")
        elif name == "alter_column":
            yield from (
                violation(call, rule, message) for rule, message in _alter(call, table, created)
            )
        elif name == "add_column" and table not in created:
            added = next((arg for arg in call.args if isinstance(arg, ast.Call)), None)
            if added is not None and _not_null_without_default(added):
                yield violation(
                    call,
                    "not-null-without-default",
                    f"adds NOT NULL column {table}.{_text(added.args[0]) if added.args else '?'}"
                    " without a server default to an existing table",
                )
        elif name == "execute" and call.args:
            sql = _text(call.args[0])
            if _RAW_DESTRUCTIVE.search(sql):
                yield violation(call, "raw-destructive-sql", f"runs {sql[:60]!r}")


def _alter(call: ast.Call, table: str, created: set[str]) -> Iterator[tuple[str, str]]:
    keywords = {keyword.arg: keyword.value for keyword in call.keywords}
    column = _text(call.args[-1]) if call.args else "?"
    if "new_column_name" in keywords:
        yield "rename-column", f"renames column {table}.{column}"
    if "type_" in keywords and not _widens(keywords.get("existing_type"), keywords["type_"]):
        yield "type-narrowing", f"changes the type of {table}.{column} to one that may not hold it"
    nullable = keywords.get("nullable")
    if (
        isinstance(nullable, ast.Constant)
        and nullable.value is False
        and "server_default" not in keywords
        and table not in created
    ):
        yield "not-null-without-default", f"makes {table}.{column} NOT NULL without a default"


def _widens(existing: ast.expr | None, new: ast.expr) -> bool:
    if existing is None:
        return False
    old_type, new_type = _type_name(existing), _type_name(new)
    if (old_type, new_type) in _WIDER:
        return True
    if old_type == new_type == "String":
        old_length, new_length = _length(existing), _length(new)
        return old_length is not None and (new_length is None or new_length >= old_length)
    if old_type == new_type == "Numeric":
        return _numeric(new) >= _numeric(existing) if _numeric(existing) else False
    return False


def _type_name(node: ast.expr) -> str:
    target = node.func if isinstance(node, ast.Call) else node
    if isinstance(target, ast.Attribute):
        return target.attr
    return target.id if isinstance(target, ast.Name) else "?"


def _length(node: ast.expr) -> int | None:
    if not isinstance(node, ast.Call):
        return None
    values = [*node.args, *(k.value for k in node.keywords if k.arg == "length")]
    lengths = [v.value for v in values if isinstance(v, ast.Constant) and isinstance(v.value, int)]
    return lengths[0] if lengths else None


def _numeric(node: ast.expr) -> tuple[int, int]:
    # (integer digits, scale): a change keeps every value when neither shrinks.
    if not isinstance(node, ast.Call):
        return (0, 0)
    values = [_integer(v) for v in node.args]
    named = {k.arg: _integer(k.value) for k in node.keywords}
    precision = named.get("precision", values[0] if values else 0)
    scale = named.get("scale", values[1] if len(values) > 1 else 0)
    return (precision - scale, scale)


def _integer(node: ast.expr) -> int:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, int) else 0


def _not_null_without_default(column: ast.Call) -> bool:
    keywords = {keyword.arg: keyword.value for keyword in column.keywords}
    nullable = keywords.get("nullable")
    return (
        isinstance(nullable, ast.Constant)
        and nullable.value is False
        and "server_default" not in keywords
    )


def _calls(node: ast.AST) -> Iterator[ast.Call]:
    for child in ast.walk(node):
        if isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute):
            yield child


def _name(call: ast.Call) -> str:
    return call.func.attr if isinstance(call.func, ast.Attribute) else ""


def _batch_tables(function: ast.FunctionDef) -> dict[str, str]:
    """The table each `with op.batch_alter_table(...) as name` alias stands for."""
    aliases = {}
    for node in ast.walk(function):
        if isinstance(node, ast.With):
            for item in node.items:
                call = item.context_expr
                if (
                    isinstance(call, ast.Call)
                    and _name(call) == "batch_alter_table"
                    and call.args
                    and isinstance(item.optional_vars, ast.Name)
                ):
                    aliases[item.optional_vars.id] = _text(call.args[0])
    return aliases


def _table(call: ast.Call, batch_tables: dict[str, str]) -> str:
    owner = call.func.value if isinstance(call.func, ast.Attribute) else None
    if isinstance(owner, ast.Name) and owner.id in batch_tables:
        return batch_tables[owner.id]
    return _text(call.args[0]) if call.args else "?"


def _text(node: ast.expr) -> str:
    if isinstance(node, ast.Constant):
        return str(node.value)
    return ast.unparse(node)
