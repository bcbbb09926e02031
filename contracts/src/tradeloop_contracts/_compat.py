"""Compatibility of two JSON Schemas, change by change.

Each schema is read as the set of documents it accepts. A change *narrows* when the
new schema refuses something the old one accepted, and *widens* when it accepts
something the old one refused; a change of annotations only (title, description,
examples, default) does neither. Then:

- `backward`: every document the old schema accepted, the new one accepts too (a
  reader on the new schema reads old data) - broken by narrowing;
- `forward`: the reverse - broken by widening;
- `full`: both.

This is the reading of Confluent's JSON Schema compatibility rules: adding a property
to an open content model narrows (something else may already have sent that name
with another type), adding an optional property to a closed one widens.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

Mode = Literal["backward", "forward", "full"]
Schema = Mapping[str, Any] | bool

ANNOTATIONS = frozenset(
    {
        "title",
        "description",
        "examples",
        "default",
        "$comment",
        "deprecated",
        "readOnly",
        "writeOnly",
        "discriminator",
        "$schema",
        "$id",
        "$defs",
        "definitions",
    }
)
NUMBER_FLOORS = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
NUMBER_CEILINGS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")
BRANCHES = ("anyOf", "oneOf")


class SchemaError(ValueError):
    """A schema that cannot be compared: an unresolvable `$ref` or a malformed keyword."""


@dataclass(frozen=True)
class Change:
    """One difference between the schemas, where it is, and which way it moves."""

    rule: str
    pointer: str
    narrows: bool
    widens: bool
    detail: str = ""

    def breaks(self, mode: Mode) -> bool:
        """Whether this change breaks compatibility under `mode`."""
        if mode == "backward":
            return self.narrows
        if mode == "forward":
            return self.widens
        return self.narrows or self.widens

    def as_dict(self, mode: Mode) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "pointer": self.pointer or "/",
            "breaking": self.breaks(mode),
            "narrows": self.narrows,
            "widens": self.widens,
            "detail": self.detail,
        }


def _narrowing(rule: str, pointer: str, detail: str = "") -> Change:
    return Change(rule, pointer, narrows=True, widens=False, detail=detail)


def _widening(rule: str, pointer: str, detail: str = "") -> Change:
    return Change(rule, pointer, narrows=False, widens=True, detail=detail)


def _both(rule: str, pointer: str, detail: str = "") -> Change:
    return Change(rule, pointer, narrows=True, widens=True, detail=detail)


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _canonical(schema: Any) -> str:
    return json.dumps(schema, sort_keys=True)


class _Document:
    """A schema with the documents its `$ref`s may point into (matched by `$id`)."""

    def __init__(self, root: Schema, others: Mapping[str, Schema]) -> None:
        self.root = root
        self.others = others

    def resolve(self, schema: Schema) -> tuple[Schema, str | None]:
        """The schema a `$ref` points at (following chains), and the last reference."""
        seen: set[str] = set()
        last: str | None = None
        while isinstance(schema, Mapping) and "$ref" in schema:
            ref = schema["$ref"]
            if not isinstance(ref, str):
                raise SchemaError(f"$ref must be a string, not {ref!r}")
            if ref in seen:
                raise SchemaError(f"$ref cycle through {ref}")
            seen.add(ref)
            last = ref
            target = self._lookup(ref)
            siblings = {k: v for k, v in schema.items() if k != "$ref"}
            if siblings and isinstance(target, Mapping):
                # 2020-12 applies $ref beside other keywords: both must hold.
                schema = {"allOf": [target, siblings]}
            else:
                schema = target
        return schema, last

    def _lookup(self, ref: str) -> Schema:
        base, _, fragment = ref.partition("#")
        if base:
            if base not in self.others:
                raise SchemaError(f"unresolvable $ref {ref}")
            node: Any = self.others[base]
        else:
            node = self.root
        for token in [t for t in fragment.split("/") if t]:
            token = token.replace("~1", "/").replace("~0", "~")
            if isinstance(node, Mapping) and token in node:
                node = node[token]
            elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
            else:
                raise SchemaError(f"unresolvable $ref {ref}")
        if not isinstance(node, Mapping | bool):
            raise SchemaError(f"$ref {ref} does not point at a schema")
        return node


def _types(schema: Mapping[str, Any]) -> set[str] | None:
    value = schema.get("type")
    if value is None:
        return None
    return {value} if isinstance(value, str) else set(value)


def _accepts_type(types: set[str], name: str) -> bool:
    return name in types or (name == "integer" and "number" in types)


class _Comparer:
    def __init__(self, old: _Document, new: _Document) -> None:
        self.old_doc = old
        self.new_doc = new
        self.active: set[tuple[str | None, str | None]] = set()

    def compare(self, old: Schema, new: Schema, pointer: str) -> Iterator[Change]:
        old, old_ref = self.old_doc.resolve(old)
        new, new_ref = self.new_doc.resolve(new)
        if old_ref is not None or new_ref is not None:
            # Recursive models: a pair of definitions already being compared adds nothing new.
            key = (old_ref, new_ref)
            if key in self.active:
                return
            self.active.add(key)
            try:
                yield from self._compare_resolved(old, new, pointer)
            finally:
                self.active.discard(key)
        else:
            yield from self._compare_resolved(old, new, pointer)

    def _compare_resolved(self, old: Schema, new: Schema, pointer: str) -> Iterator[Change]:
        if _canonical(old) == _canonical(new):
            return
        if isinstance(old, bool) or isinstance(new, bool):
            yield from self._booleans(old, new, pointer)
            return
        old_union = any(k in old for k in BRANCHES)
        new_union = any(k in new for k in BRANCHES)
        if old_union or new_union:
            yield from self._branches(old, new, pointer)
            # A plain side's constraints were compared as its single branch; keep the rest.
            old = {
                k: v
                for k, v in old.items()
                if k not in BRANCHES and (old_union or k in ANNOTATIONS)
            }
            new = {
                k: v
                for k, v in new.items()
                if k not in BRANCHES and (new_union or k in ANNOTATIONS)
            }
        yield from self._all_of(old, new, pointer)
        yield from self._not(old, new, pointer)
        yield from self._type(old, new, pointer)
        yield from self._enum(old, new, pointer)
        yield from self._bounds(old, new, pointer)
        yield from self._multiple_of(old, new, pointer)
        yield from self._string_rules(old, new, pointer)
        yield from self._object(old, new, pointer)
        yield from self._array(old, new, pointer)
        yield from self._annotations(old, new, pointer)

    def _booleans(self, old: Schema, new: Schema, pointer: str) -> Iterator[Change]:
        old_all = old is True or old == {}
        new_all = new is True or new == {}
        if old is False and new is not False:
            yield _widening("schema-opened", pointer, "was false (accepts nothing)")
        elif new is False and old is not False:
            yield _narrowing("schema-closed", pointer, "now false (accepts nothing)")
        elif old_all and not new_all:
            yield _narrowing("constraint-added", pointer, "was any value")
        elif new_all and not old_all:
            yield _widening("constraint-removed", pointer, "now any value")

    def _branches(
        self, old: Mapping[str, Any], new: Mapping[str, Any], pointer: str
    ) -> Iterator[Change]:
        keyword = "oneOf" if "oneOf" in new or "oneOf" in old else "anyOf"
        rest_old = {k: v for k, v in old.items() if k not in BRANCHES and k not in ANNOTATIONS}
        rest_new = {k: v for k, v in new.items() if k not in BRANCHES and k not in ANNOTATIONS}
        # A plain schema on one side is the single-branch union of itself.
        old_branches = list(old.get("anyOf", old.get("oneOf", [])) or [rest_old])
        new_branches = list(new.get("anyOf", new.get("oneOf", [])) or [rest_new])
        unmatched_new = list(range(len(new_branches)))
        pairs: list[tuple[int, int]] = []
        leftovers: list[int] = []
        for i, branch in enumerate(old_branches):
            match = next(
                (j for j in unmatched_new if _canonical(new_branches[j]) == _canonical(branch)),
                None,
            )
            if match is None:
                match = next(
                    (j for j in unmatched_new if self._same_kind(branch, new_branches[j])), None
                )
            if match is None:
                leftovers.append(i)
            else:
                unmatched_new.remove(match)
                pairs.append((i, match))
        for i, j in pairs:
            yield from self.compare(old_branches[i], new_branches[j], f"{pointer}/{keyword}/{j}")
        for i in leftovers:
            yield _narrowing(
                "branch-removed", f"{pointer}/{keyword}/{i}", self._describe(old_branches[i])
            )
        for j in unmatched_new:
            yield _widening(
                "branch-added", f"{pointer}/{keyword}/{j}", self._describe(new_branches[j])
            )
        if ("oneOf" in old) != ("oneOf" in new) and ("anyOf" in old or "anyOf" in new):
            # oneOf refuses documents that match two branches; anyOf does not.
            yield (_widening if "anyOf" in new else _narrowing)(
                "union-kind-changed",
                pointer,
                f"{'oneOf' if 'oneOf' in old else 'anyOf'} -> "
                f"{'oneOf' if 'oneOf' in new else 'anyOf'}",
            )

    def _same_kind(self, old: Schema, new: Schema) -> bool:
        """Branches that should be compared rather than counted as removed and added."""
        old_resolved, old_ref = self.old_doc.resolve(old)
        new_resolved, new_ref = self.new_doc.resolve(new)
        if old_ref and new_ref:
            return old_ref.rsplit("/", 1)[-1] == new_ref.rsplit("/", 1)[-1]
        if isinstance(old_resolved, Mapping) and isinstance(new_resolved, Mapping):
            old_types, new_types = _types(old_resolved), _types(new_resolved)
            return old_types is not None and old_types == new_types
        return False

    @staticmethod
    def _describe(schema: Schema) -> str:
        if isinstance(schema, Mapping) and "$ref" in schema:
            return f"$ref {schema['$ref']}"
        if isinstance(schema, Mapping) and "type" in schema:
            return f"type {schema['type']}"
        return _canonical(schema)[:80]

    def _all_of(
        self, old: Mapping[str, Any], new: Mapping[str, Any], pointer: str
    ) -> Iterator[Change]:
        old_parts, new_parts = list(old.get("allOf", [])), list(new.get("allOf", []))
        for index in range(max(len(old_parts), len(new_parts))):
            where = f"{pointer}/allOf/{index}"
            if index >= len(old_parts):
                yield _narrowing("all-of-added", where)
            elif index >= len(new_parts):
                yield _widening("all-of-removed", where)
            else:
                yield from self.compare(old_parts[index], new_parts[index], where)

    def _not(
        self, old: Mapping[str, Any], new: Mapping[str, Any], pointer: str
    ) -> Iterator[Change]:
        if "not" not in old and "not" not in new:
            return
        where = f"{pointer}/not"
        if "not" not in old:
            yield _narrowing("not-added", where)
        elif "not" not in new:
            yield _widening("not-removed", where)
        else:
            # Inside `not`, accepting more means the whole accepts less.
            for change in self.compare(old["not"], new["not"], where):
                yield Change(
                    change.rule,
                    change.pointer,
                    narrows=change.widens,
                    widens=change.narrows,
                    detail=f"inside not: {change.detail}",
                )

    def _type(
        self, old: Mapping[str, Any], new: Mapping[str, Any], pointer: str
    ) -> Iterator[Change]:
        old_types, new_types = _types(old), _types(new)
        if old_types == new_types:
            return
        where = f"{pointer}/type"
        if new_types is None:
            yield _widening("type-removed", where, f"was {sorted(old_types or [])}")
            return
        if old_types is None:
            yield _narrowing("type-added", where, f"now {sorted(new_types)}")
            return
        lost = [t for t in old_types if not _accepts_type(new_types, t)]
        gained = [t for t in new_types if not _accepts_type(old_types, t)]
        detail = f"{sorted(old_types)} -> {sorted(new_types)}"
        if lost and gained:
            yield _both("type-changed", where, detail)
        elif lost:
            yield _narrowing("type-narrowed", where, detail)
        elif gained:
            yield _widening("type-widened", where, detail)

    def _enum(
        self, old: Mapping[str, Any], new: Mapping[str, Any], pointer: str
    ) -> Iterator[Change]:
        def values(schema: Mapping[str, Any]) -> set[str] | None:
            if "const" in schema:
                return {_canonical(schema["const"])}
            if "enum" in schema:
                return {_canonical(v) for v in schema["enum"]}
            return None

        old_values, new_values = values(old), values(new)
        if old_values == new_values:
            return
        keyword = "const" if "const" in new or ("const" in old and "enum" not in new) else "enum"
        where = f"{pointer}/{keyword}"
        if new_values is None:
            yield _widening("enum-removed", where)
        elif old_values is None:
            yield _narrowing("enum-added", where)
        else:
            for value in sorted(old_values - new_values):
                yield _narrowing("enum-value-removed", where, value)
            for value in sorted(new_values - old_values):
                yield _widening("enum-value-added", where, value)

    def _bounds(
        self, old: Mapping[str, Any], new: Mapping[str, Any], pointer: str
    ) -> Iterator[Change]:
        for keyword, is_floor in [(k, True) for k in NUMBER_FLOORS] + [
            (k, False) for k in NUMBER_CEILINGS
        ]:
            before, after = old.get(keyword), new.get(keyword)
            if before == after:
                continue
            where = f"{pointer}/{keyword}"
            detail = f"{before} -> {after}"
            if after is None:
                yield _widening(f"{keyword}-removed", where, detail)
            elif before is None:
                yield _narrowing(f"{keyword}-added", where, detail)
            elif (Decimal(str(after)) > Decimal(str(before))) == is_floor:
                yield _narrowing(f"{keyword}-tightened", where, detail)
            else:
                yield _widening(f"{keyword}-relaxed", where, detail)

    def _multiple_of(
        self, old: Mapping[str, Any], new: Mapping[str, Any], pointer: str
    ) -> Iterator[Change]:
        before, after = old.get("multipleOf"), new.get("multipleOf")
        if before == after:
            return
        where = f"{pointer}/multipleOf"
        if after is None:
            yield _widening("multipleOf-removed", where)
        elif before is None:
            yield _narrowing("multipleOf-added", where)
        else:
            old_step, new_step = Decimal(str(before)), Decimal(str(after))
            if new_step % old_step == 0:
                yield _narrowing("multipleOf-tightened", where, f"{before} -> {after}")
            elif old_step % new_step == 0:
                yield _widening("multipleOf-relaxed", where, f"{before} -> {after}")
            else:
                yield _both("multipleOf-changed", where, f"{before} -> {after}")

    def _string_rules(
        self, old: Mapping[str, Any], new: Mapping[str, Any], pointer: str
    ) -> Iterator[Change]:
        # Whether one regular expression contains another is not decidable in general:
        # a changed pattern or format is taken to move both ways.
        for keyword in ("pattern", "format", "contentEncoding", "contentMediaType"):
            before, after = old.get(keyword), new.get(keyword)
            if before == after:
                continue
            where = f"{pointer}/{keyword}"
            if after is None:
                yield _widening(f"{keyword}-removed", where, f"was {before}")
            elif before is None:
                yield _narrowing(f"{keyword}-added", where, f"now {after}")
            else:
                yield _both(f"{keyword}-changed", where, f"{before} -> {after}")

    def _open_schema(self, schema: Mapping[str, Any], name: str) -> Schema:
        """What a property `name` absent from `properties` must match."""
        for pattern, subschema in schema.get("patternProperties", {}).items():
            if re.search(pattern, name):
                return subschema  # type: ignore[no-any-return]
        extra = schema.get("additionalProperties", True)
        return extra if isinstance(extra, Mapping | bool) else True

    def _object(
        self, old: Mapping[str, Any], new: Mapping[str, Any], pointer: str
    ) -> Iterator[Change]:
        old_props: Mapping[str, Any] = old.get("properties", {})
        new_props: Mapping[str, Any] = new.get("properties", {})
        for name in sorted(set(old_props) | set(new_props)):
            where = f"{pointer}/properties/{_escape(name)}"
            if name in old_props and name in new_props:
                yield from self.compare(old_props[name], new_props[name], where)
            elif name in old_props:
                replacement = self._open_schema(new, name)
                if replacement is False:
                    yield _narrowing("property-removed-from-closed-model", where)
                else:
                    for change in self.compare(old_props[name], replacement, where):
                        yield Change(
                            "property-removed",
                            where,
                            change.narrows,
                            change.widens,
                            change.detail or change.rule,
                        )
            else:
                previous = self._open_schema(old, name)
                if previous is False:
                    yield _widening("property-added-to-closed-model", where)
                else:
                    for change in self.compare(previous, new_props[name], where):
                        yield Change(
                            "property-added-to-open-model",
                            where,
                            change.narrows,
                            change.widens,
                            change.detail or change.rule,
                        )
        old_required, new_required = set(old.get("required", [])), set(new.get("required", []))
        for name in sorted(new_required - old_required):
            yield _narrowing("required-added", f"{pointer}/required", name)
        for name in sorted(old_required - new_required):
            yield _widening("required-removed", f"{pointer}/required", name)
        yield from self._extra(old, new, pointer, "additionalProperties")
        old_patterns = old.get("patternProperties", {})
        new_patterns = new.get("patternProperties", {})
        for pattern in sorted(set(old_patterns) | set(new_patterns)):
            where = f"{pointer}/patternProperties/{_escape(pattern)}"
            if pattern in old_patterns and pattern in new_patterns:
                yield from self.compare(old_patterns[pattern], new_patterns[pattern], where)
            elif pattern in old_patterns:
                yield _both("pattern-property-removed", where)
            else:
                yield _both("pattern-property-added", where)

    def _extra(
        self, old: Mapping[str, Any], new: Mapping[str, Any], pointer: str, keyword: str
    ) -> Iterator[Change]:
        if keyword not in old and keyword not in new:
            return
        before, after = old.get(keyword, True), new.get(keyword, True)
        where = f"{pointer}/{keyword}"
        if before is False and after is not False:
            yield _widening(f"{keyword}-opened", where, "content model opened")
        elif after is False and before is not False:
            yield _narrowing(f"{keyword}-closed", where, "content model closed")
        else:
            yield from self.compare(before, after, where)

    def _array(
        self, old: Mapping[str, Any], new: Mapping[str, Any], pointer: str
    ) -> Iterator[Change]:
        old_prefix, new_prefix = old.get("prefixItems", []), new.get("prefixItems", [])
        for index in range(max(len(old_prefix), len(new_prefix))):
            where = f"{pointer}/prefixItems/{index}"
            before = old_prefix[index] if index < len(old_prefix) else old.get("items", True)
            after = new_prefix[index] if index < len(new_prefix) else new.get("items", True)
            yield from self.compare(before, after, where)
        yield from self._extra(old, new, pointer, "items")
        if old.get("uniqueItems", False) != new.get("uniqueItems", False):
            yield (_narrowing if new.get("uniqueItems") else _widening)(
                "uniqueItems-changed", f"{pointer}/uniqueItems"
            )
        if _canonical(old.get("contains")) != _canonical(new.get("contains")):
            if "contains" not in new:
                yield _widening("contains-removed", f"{pointer}/contains")
            elif "contains" not in old:
                yield _narrowing("contains-added", f"{pointer}/contains")
            else:
                yield from self.compare(old["contains"], new["contains"], f"{pointer}/contains")

    def _annotations(
        self, old: Mapping[str, Any], new: Mapping[str, Any], pointer: str
    ) -> Iterator[Change]:
        for keyword in sorted(ANNOTATIONS - {"$defs", "definitions", "$schema", "$id"}):
            if _canonical(old.get(keyword)) != _canonical(new.get(keyword)):
                yield Change(
                    "annotation-changed", f"{pointer}/{keyword}", narrows=False, widens=False
                )
        known = ANNOTATIONS | {
            "type",
            "enum",
            "const",
            "properties",
            "required",
            "additionalProperties",
            "patternProperties",
            "items",
            "prefixItems",
            "uniqueItems",
            "contains",
            "allOf",
            "anyOf",
            "oneOf",
            "not",
            "multipleOf",
            "pattern",
            "format",
            "contentEncoding",
            "contentMediaType",
            *NUMBER_FLOORS,
            *NUMBER_CEILINGS,
        }
        for keyword in sorted((set(old) | set(new)) - known):
            if _canonical(old.get(keyword)) != _canonical(new.get(keyword)):
                yield _both("unknown-keyword-changed", f"{pointer}/{_escape(keyword)}")


def compare_schemas(
    old: Schema,
    new: Schema,
    *,
    old_others: Mapping[str, Schema] | None = None,
    new_others: Mapping[str, Schema] | None = None,
) -> list[Change]:
    """Every change from `old` to `new`; `*_others` resolve `$ref`s to other files by `$id`.

    Raises SchemaError when a `$ref` cannot be resolved or a keyword is malformed.
    """
    comparer = _Comparer(_Document(old, old_others or {}), _Document(new, new_others or {}))
    try:
        return list(comparer.compare(old, new, ""))
    except (TypeError, AttributeError, ArithmeticError) as error:
        raise SchemaError(f"malformed schema: {error}") from error
