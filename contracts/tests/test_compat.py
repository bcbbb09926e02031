"""The drift guard, one row per change kind, each in both directions."""

from typing import Any

import pytest

from tradeloop_contracts._compat import Change, SchemaError, compare_schemas

OBJ = {"type": "object"}
CLOSED = {"type": "object", "additionalProperties": False}


def _props(base: dict[str, Any], required: list[str] | None = None, **props: Any) -> dict[str, Any]:
    schema = {**base, "properties": props}
    if required:
        schema["required"] = required
    return schema


# (case, old, new, rule, narrows) - new accepts less when narrows, more otherwise.
# Each row is also checked reversed, where the same change must move the other way.
ONE_WAY = [
    ("type narrowed", {"type": ["string", "null"]}, {"type": "string"}, "type-narrowed", True),
    ("number to integer", {"type": "number"}, {"type": "integer"}, "type-narrowed", True),
    ("type added", {}, {"type": "string"}, "type-added", True),
    ("enum value removed", {"enum": ["a", "b"]}, {"enum": ["a"]}, "enum-value-removed", True),
    ("enum added", {"type": "string"}, {"type": "string", "enum": ["a"]}, "enum-added", True),
    ("const added", {"type": "string"}, {"type": "string", "const": "a"}, "enum-added", True),
    ("minimum raised", {"minimum": 0}, {"minimum": 1}, "minimum-tightened", True),
    ("minimum added", {}, {"minimum": 0}, "minimum-added", True),
    ("maximum lowered", {"maximum": 10}, {"maximum": 9}, "maximum-tightened", True),
    (
        "exclusive minimum raised",
        {"exclusiveMinimum": 0},
        {"exclusiveMinimum": 0.5},
        "exclusiveMinimum-tightened",
        True,
    ),
    ("maxLength lowered", {"maxLength": 10}, {"maxLength": 5}, "maxLength-tightened", True),
    ("minLength raised", {"minLength": 1}, {"minLength": 2}, "minLength-tightened", True),
    ("minItems raised", {"minItems": 0}, {"minItems": 1}, "minItems-tightened", True),
    (
        "maxProperties lowered",
        {"maxProperties": 3},
        {"maxProperties": 2},
        "maxProperties-tightened",
        True,
    ),
    (
        "multipleOf to a multiple",
        {"multipleOf": 0.01},
        {"multipleOf": 0.05},
        "multipleOf-tightened",
        True,
    ),
    ("multipleOf added", {}, {"multipleOf": 2}, "multipleOf-added", True),
    (
        "pattern added",
        {"type": "string"},
        {"type": "string", "pattern": "^a"},
        "pattern-added",
        True,
    ),
    (
        "format added",
        {"type": "string"},
        {"type": "string", "format": "uuid"},
        "format-added",
        True,
    ),
    ("required added", _props(OBJ, a={}), _props(OBJ, ["a"], a={}), "required-added", True),
    (
        "property added to open model",
        _props(OBJ),
        _props(OBJ, a={"type": "string"}),
        "property-added-to-open-model",
        True,
    ),
    (
        "property removed from closed model",
        _props(CLOSED, a={}),
        _props(CLOSED),
        "property-removed-from-closed-model",
        True,
    ),
    ("content model closed", _props(OBJ), _props(CLOSED), "additionalProperties-closed", True),
    (
        "additionalProperties schema narrowed",
        {"additionalProperties": {"type": "number"}},
        {"additionalProperties": {"type": "integer"}},
        "type-narrowed",
        True,
    ),
    (
        "items narrowed",
        {"type": "array", "items": {"type": "number"}},
        {"type": "array", "items": {"type": "integer"}},
        "type-narrowed",
        True,
    ),
    (
        "prefixItems narrowed",
        {"prefixItems": [{"type": "number"}]},
        {"prefixItems": [{"type": "integer"}]},
        "type-narrowed",
        True,
    ),
    (
        "uniqueItems added",
        {"type": "array"},
        {"type": "array", "uniqueItems": True},
        "uniqueItems-changed",
        True,
    ),
    (
        "contains added",
        {"type": "array"},
        {"type": "array", "contains": {"const": 1}},
        "contains-added",
        True,
    ),
    (
        "anyOf branch removed",
        {"anyOf": [{"type": "string"}, {"type": "null"}]},
        {"anyOf": [{"type": "string"}]},
        "branch-removed",
        True,
    ),
    (
        "optional became required type",
        {"anyOf": [{"type": "string"}, {"type": "null"}]},
        {"type": "string"},
        "branch-removed",
        True,
    ),
    (
        "oneOf branch removed",
        {"oneOf": [{"type": "string"}, {"type": "integer"}]},
        {"oneOf": [{"type": "string"}]},
        "branch-removed",
        True,
    ),
    (
        "anyOf became oneOf",
        {"anyOf": [{"minimum": 0}, {"maximum": 10}]},
        {"oneOf": [{"minimum": 0}, {"maximum": 10}]},
        "union-kind-changed",
        True,
    ),
    (
        "allOf part added",
        {"allOf": [{"type": "string"}]},
        {"allOf": [{"type": "string"}, {"minLength": 1}]},
        "all-of-added",
        True,
    ),
    ("not added", {"type": "string"}, {"type": "string", "not": {"const": ""}}, "not-added", True),
    (
        "not widened inside",
        {"not": {"type": "integer"}},
        {"not": {"type": "number"}},
        "type-widened",
        True,
    ),
    ("schema closed", True, False, "schema-closed", True),
    ("constraint on any", True, {"type": "string"}, "constraint-added", True),
]


def _rules(changes: list[Change]) -> set[str]:
    return {change.rule for change in changes}


class TestEachChangeKind:
    @pytest.mark.parametrize(
        ("old", "new", "rule", "narrows"), [row[1:] for row in ONE_WAY], ids=[r[0] for r in ONE_WAY]
    )
    def test_the_change_is_named_and_moves_the_stated_way(
        self, old: Any, new: Any, rule: str, narrows: bool
    ) -> None:
        changes = compare_schemas(old, new)
        moving = [c for c in changes if c.narrows or c.widens]
        assert rule in _rules(moving) or any(c.detail.startswith(rule) for c in moving)
        assert any(c.narrows for c in moving) is narrows
        assert all(c.breaks("full") for c in moving)
        assert any(c.breaks("backward") for c in moving) is narrows
        assert any(c.breaks("forward") for c in moving) is (not narrows)

    @pytest.mark.parametrize(
        ("old", "new", "narrows"),
        [(r[1], r[2], r[4]) for r in ONE_WAY],
        ids=[r[0] for r in ONE_WAY],
    )
    def test_the_reverse_change_moves_the_other_way(
        self, old: Any, new: Any, narrows: bool
    ) -> None:
        changes = [c for c in compare_schemas(new, old) if c.narrows or c.widens]
        assert changes, "the reverse edit must be seen too"
        assert any(c.widens for c in changes) is narrows
        assert any(c.narrows for c in changes) is (not narrows)


class TestContentModels:
    def test_an_optional_property_added_to_a_closed_model_only_widens(self) -> None:
        [change] = compare_schemas(_props(CLOSED, a={}), _props(CLOSED, a={}, b={"type": "string"}))
        assert change.rule == "property-added-to-closed-model"
        assert not change.breaks("backward")
        assert change.breaks("forward")

    def test_a_property_removed_from_an_open_model_only_widens(self) -> None:
        [change] = compare_schemas(_props(OBJ, a={"type": "string"}), _props(OBJ))
        assert change.rule == "property-removed"
        assert (change.narrows, change.widens) == (False, True)

    def test_a_pattern_property_covers_a_removed_property(self) -> None:
        old = _props(OBJ, x_a={"type": "string"})
        new = {**_props(OBJ), "patternProperties": {"^x_": {"type": "string"}}}
        changes = compare_schemas(old, new)
        assert "property-removed" not in _rules(changes)

    def test_a_changed_pattern_moves_both_ways(self) -> None:
        [change] = compare_schemas({"pattern": "^a"}, {"pattern": "^b"})
        assert (change.rule, change.narrows, change.widens) == ("pattern-changed", True, True)

    def test_nested_objects_are_compared_at_any_depth(self) -> None:
        deep_old = _props(OBJ, a=_props(OBJ, b=_props(OBJ, c={"type": "number"})))
        deep_new = _props(OBJ, a=_props(OBJ, b=_props(OBJ, c={"type": "integer"})))
        [change] = compare_schemas(deep_old, deep_new)
        assert change.pointer == "/properties/a/properties/b/properties/c/type"


class TestReferences:
    def test_refs_are_compared_after_resolving(self) -> None:
        old = {"$defs": {"M": {"type": "number"}}, "properties": {"m": {"$ref": "#/$defs/M"}}}
        new = {"$defs": {"N": {"type": "integer"}}, "properties": {"m": {"$ref": "#/$defs/N"}}}
        [change] = compare_schemas(old, new)
        assert (change.rule, change.pointer) == ("type-narrowed", "/properties/m/type")

    def test_renaming_a_definition_is_no_change(self) -> None:
        old = {"$defs": {"M": {"type": "number"}}, "properties": {"m": {"$ref": "#/$defs/M"}}}
        new = {"$defs": {"N": {"type": "number"}}, "properties": {"m": {"$ref": "#/$defs/N"}}}
        assert compare_schemas(old, new) == []

    def test_recursive_definitions_terminate(self) -> None:
        tree = {
            "$defs": {
                "T": {
                    "type": "object",
                    "properties": {"kids": {"type": "array", "items": {"$ref": "#/$defs/T"}}},
                }
            },
            "$ref": "#/$defs/T",
        }
        assert compare_schemas(tree, tree) == []

    def test_refs_to_other_files_resolve_by_id(self) -> None:
        others_old = {"https://x/m.json": {"type": "number"}}
        others_new = {"https://x/m.json": {"type": "integer"}}
        ref = {"$ref": "https://x/m.json"}
        [change] = compare_schemas(ref, ref, old_others=others_old, new_others=others_new)
        assert change.rule == "type-narrowed"

    def test_an_unresolvable_ref_is_an_error(self) -> None:
        with pytest.raises(SchemaError, match="unresolvable"):
            compare_schemas({"$ref": "#/$defs/Gone"}, {"type": "string"})


class TestAnnotations:
    def test_documentation_changes_move_nothing(self) -> None:
        changes = compare_schemas(
            {"type": "string", "description": "old", "title": "A"},
            {"type": "string", "description": "new", "title": "B", "examples": ["x"]},
        )
        assert changes
        assert all(not c.narrows and not c.widens for c in changes)
        assert {c.rule for c in changes} == {"annotation-changed"}

    def test_identical_schemas_have_no_changes(self) -> None:
        schema = _props(OBJ, ["a"], a={"type": "string", "maxLength": 3})
        assert compare_schemas(schema, schema) == []
