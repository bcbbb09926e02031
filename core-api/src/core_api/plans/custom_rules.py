"""Custom rules: CEL predicates over a position, its opening fill and its day.

CEL has no loops or recursion, and cel-python (`celpy`) evaluates it without touching
Python objects the plan did not hand it. What CEL itself does not bound is refused when
the rule is saved: long text, deep nesting, big list literals, long strings, nested
comprehensions, and regular expressions (`matches` runs on Python's backtracking `re`,
which a hostile pattern can stall). A trial run against sample values checks that the
fields and operators fit together and that the answer is true or false.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import celpy
import lark
from celpy import celtypes
from celpy.celparser import CELParseError
from celpy.evaluation import CELEvalError

MAX_LENGTH = 2000
MAX_NESTING = 16
MAX_LIST_ITEMS = 100
MAX_STRING_LENGTH = 256
MAX_NESTED_COMPREHENSIONS = 2
MAX_COMPREHENSION_STEPS = 1000
FIELD_LIST_ITEMS = 50
# The limits above bound the work per position. A clock is read only on the trial run
# when a rule is saved, and it is the thread's CPU time: the expression's own cost, which
# other processes' load cannot inflate as it can the wall clock's. At evaluation a time
# budget would make results depend on load and pauses, and incremental and full
# evaluation must agree.
MAX_TRIAL_SECONDS = 0.5
# Per compiled rule; past it the remembered answers start over.
MAX_REMEMBERED_ANSWERS = 10_000
COMPREHENSIONS = frozenset({"all", "exists", "exists_one", "map", "filter"})
FORBIDDEN_FUNCTIONS = frozenset({"matches"})

# The documented fields, with a sample value of each one's type for the trial run.
POSITION_FIELDS: dict[str, Any] = {
    "symbol": "AAPL",
    "underlying": "AAPL",
    "asset_class": "stock",
    "direction": "long",
    "status": "closed",
    "quantity": 100.0,
    "entry_price": 150.0,
    "exit_price": 151.0,
    "notional": 15000.0,
    "realised_pnl_net": 98.5,
    "fees": 1.5,
    "holding_minutes": 12.0,
    "outcome": "win",
    "tags": ["breakout"],
    "has_stop": True,
    "risk": 200.0,
    "r_multiple": 0.5,
    "opened_hour": 9,
    "opened_minute": 45,
    "opened_weekday": "mon",
}
EXECUTION_FIELDS: dict[str, Any] = {
    "side": "buy",
    "quantity": 100.0,
    "price": 150.0,
    "commission": 1.0,
    "fees": 0.5,
    "hour": 9,
    "minute": 45,
    "weekday": "mon",
}
DAY_FIELDS: dict[str, Any] = {
    "date": "2026-03-02",
    "weekday": "mon",
    "trades_before": 2,
    "losses_before": 1,
    "consecutive_losses_before": 1,
    "realised_pnl_before": -120.0,
}
FIELDS: dict[str, dict[str, Any]] = {
    "position": POSITION_FIELDS,
    "execution": EXECUTION_FIELDS,
    "day": DAY_FIELDS,
}

_environment = celpy.Environment(runner_class=celpy.CompiledRunner)


class CustomRuleError(ValueError):
    """The expression cannot be used; `line` and `column` (1-based) point at the cause."""

    def __init__(self, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(f"line {line}, column {column}: {message}")
        self.message = message
        self.line = line
        self.column = column


class CustomRuleFault(RuntimeError):
    """The expression failed on one position's values."""


@dataclass(frozen=True)
class CompiledRule:
    """A checked expression, ready to evaluate on many positions."""

    expression: str
    runner: celpy.Runner
    # The fields of each variable the expression reads (None: it reads the whole map).
    fields: Mapping[str, frozenset[str] | None]
    # Answers by the values read: CEL is pure, and traders' fields repeat (symbols, hours,
    # sizes), so most positions need no evaluation at all.
    answers: dict[tuple[Any, ...], bool] = field(default_factory=dict, compare=False)

    def holds(self, values: Mapping[str, Mapping[str, Any]]) -> bool:
        """Whether the predicate holds for `values` (`{"position": {...}, "execution": …}`).

        CustomRuleFault when it fails (a division by zero, a missing list item).
        """
        read = {
            name: dict(values[name])
            if wanted is None
            else {column: values[name][column] for column in sorted(wanted)}
            for name, wanted in self.fields.items()
        }
        key = tuple(
            (name, column, tuple(value) if isinstance(value, list) else value)
            for name, fields in read.items()
            for column, value in fields.items()
        )
        known = self.answers.get(key)
        if known is not None:
            return known
        # Only the fields the expression reads are converted to CEL values: the
        # conversion costs more than the evaluation.
        activation = {name: _cel_map(fields) for name, fields in read.items()}
        try:
            result = self.runner.evaluate(activation)
        except CELEvalError as error:
            raise CustomRuleFault(f"failed: {_reason(error)}") from error
        if not isinstance(result, celtypes.BoolType):
            raise CustomRuleFault(f"gave {type(result).__name__}, not true or false")
        if len(self.answers) >= MAX_REMEMBERED_ANSWERS:
            self.answers.clear()
        self.answers[key] = bool(result)
        return bool(result)


def compile_rule(expression: str) -> CompiledRule:
    """The expression parsed, checked against the cost limits and the field set, and tried.

    Raises CustomRuleError pointing at the line and column of the first problem.
    """
    if len(expression) > MAX_LENGTH:
        raise CustomRuleError(
            f"is {len(expression)} characters long; the limit is {MAX_LENGTH}", 1, MAX_LENGTH + 1
        )
    _check_nesting(expression)
    try:
        tree = _environment.compile(expression)
    except CELParseError as error:
        # The parser's own message repeats the text with a caret; the column says the same.
        raise CustomRuleError(
            "does not parse here (a missing operand, bracket or quote?)",
            error.line or 1,
            error.column or 1,
        ) from error
    _check_tree(tree)
    runner = _environment.program(tree)
    rule = CompiledRule(expression, runner, _fields_read(tree))
    started = time.thread_time()
    try:
        result = runner.evaluate(activation_of(POSITION_FIELDS, EXECUTION_FIELDS, DAY_FIELDS))
    except CELEvalError as error:
        raise CustomRuleError(f"does not type-check: {_reason(error)}") from error
    if time.thread_time() - started > MAX_TRIAL_SECONDS:
        raise CustomRuleError(f"takes longer than {MAX_TRIAL_SECONDS * 1000:g} ms to evaluate")
    if not isinstance(result, celtypes.BoolType):
        raise CustomRuleError(f"must give true or false, not a {_cel_type(result)}")
    return rule


def activation_of(
    position: Mapping[str, Any], execution: Mapping[str, Any], day: Mapping[str, Any]
) -> dict[str, celtypes.Value]:
    """The CEL variables for one position from plain Python values."""
    return {"position": _cel_map(position), "execution": _cel_map(execution), "day": _cel_map(day)}


def _cel_map(values: Mapping[str, Any]) -> celtypes.MapType:
    # Built directly: the generic JSON adapter costs more than the evaluation itself.
    return celtypes.MapType(
        {celtypes.StringType(name): _cel_value(value) for name, value in values.items()}
    )


def _cel_value(value: Any) -> celtypes.Value:
    if isinstance(value, bool):
        return celtypes.BoolType(value)
    if isinstance(value, int):
        return celtypes.IntType(value)
    if isinstance(value, float):
        return celtypes.DoubleType(value)
    if isinstance(value, str):
        return celtypes.StringType(value)
    return celtypes.ListType([_cel_value(item) for item in value])


def _check_nesting(expression: str) -> None:
    # Counted on the text before parsing: the parser itself recurses on nesting.
    depth = 0
    quote: str | None = None
    for line_number, line in enumerate(expression.splitlines() or [""], start=1):
        for column, character in enumerate(line, start=1):
            if quote is not None:
                if character == quote:
                    quote = None
                continue
            if character in "\"'":
                quote = character
            elif character in "([{":
                depth += 1
                if depth > MAX_NESTING:
                    raise CustomRuleError(
                        f"nests deeper than {MAX_NESTING} levels", line_number, column
                    )
            elif character in ")]}":
                depth -= 1


def _check_tree(tree: lark.Tree[Any]) -> None:
    bound = _comprehension_variables(tree)
    _check_node(tree, bound, comprehensions=0, steps=1)


def _check_node(node: lark.Tree[Any], bound: set[str], comprehensions: int, steps: int) -> None:
    kind = node.data
    if kind == "list_lit":
        items = _items(node)
        if len(items) > MAX_LIST_ITEMS:
            line, column = _position(node)
            raise CustomRuleError(
                f"lists {len(items)} items; the limit is {MAX_LIST_ITEMS}", line, column
            )
    elif kind == "literal":
        token = node.children[0]
        if isinstance(token, lark.Token) and len(token) > MAX_STRING_LENGTH + 2:
            raise CustomRuleError(
                f"has a literal longer than {MAX_STRING_LENGTH} characters",
                token.line or 1,
                token.column or 1,
            )
    elif kind in ("member_dot_arg", "ident_arg"):
        name = node.children[1 if kind == "member_dot_arg" else 0]
        assert isinstance(name, lark.Token)
        if str(name) in FORBIDDEN_FUNCTIONS:
            raise CustomRuleError(
                f"uses {name}(), which is not allowed (use startsWith, endsWith, contains or in)",
                name.line or 1,
                name.column or 1,
            )
        if kind == "member_dot_arg" and str(name) in COMPREHENSIONS:
            comprehensions += 1
            if comprehensions > MAX_NESTED_COMPREHENSIONS:
                raise CustomRuleError(
                    f"nests more than {MAX_NESTED_COMPREHENSIONS} of all/exists/map/filter",
                    name.line or 1,
                    name.column or 1,
                )
            # Nested comprehensions multiply: bound the items stepped through per position.
            steps *= _target_size(node.children[0])
            if steps > MAX_COMPREHENSION_STEPS:
                raise CustomRuleError(
                    f"steps through up to {steps} items per position; "
                    f"the limit is {MAX_COMPREHENSION_STEPS}",
                    name.line or 1,
                    name.column or 1,
                )
    elif kind == "ident":
        token = node.children[0]
        assert isinstance(token, lark.Token)
        if str(token) not in FIELDS and str(token) not in bound:
            raise CustomRuleError(
                f"unknown name {token!s}; use position, execution or day",
                token.line or 1,
                token.column or 1,
            )
    elif kind == "member_dot":
        _check_field(node)
    for child in node.children:
        if isinstance(child, lark.Tree):
            _check_node(child, bound, comprehensions, steps)


def _fields_read(tree: lark.Tree[Any]) -> dict[str, frozenset[str] | None]:
    fields: dict[str, set[str]] = {name: set() for name in FIELDS}
    dotted: dict[str, int] = dict.fromkeys(FIELDS, 0)
    for node in tree.iter_subtrees():
        if node.data == "member_dot":
            root = _root_name(node.children[0])
            if root in fields:
                fields[root].add(str(node.children[1]))
                dotted[root] += 1
    mentions = dict.fromkeys(FIELDS, 0)
    for token in tree.scan_values(lambda value: isinstance(value, lark.Token)):
        if token.type == "IDENT" and str(token) in mentions:
            mentions[str(token)] += 1
    # A variable named more often than it is dotted into is used whole (`"x" in day`).
    return {
        name: None if mentions[name] > dotted[name] else frozenset(fields[name])
        for name in FIELDS
        if mentions[name]
    }


def _target_size(target: Any) -> int:
    # A list literal has its own length; a field (`position.tags`) counts as a long list.
    literal = next(
        (node for node in target.iter_subtrees_topdown() if node.data == "list_lit"), None
    )
    if literal is not None and _root_name(target) is None:
        return max(1, len(_items(literal)))
    return FIELD_LIST_ITEMS


def _check_field(node: lark.Tree[Any]) -> None:
    inner, field = node.children[0], node.children[1]
    root = _root_name(inner)
    if root in FIELDS and isinstance(field, lark.Token) and str(field) not in FIELDS[root]:
        raise CustomRuleError(
            f"{root} has no field {field!s}; it has {', '.join(sorted(FIELDS[root]))}",
            field.line or 1,
            field.column or 1,
        )


def _root_name(node: Any) -> str | None:
    # `member -> primary -> ident -> IDENT`: a bare name right before the dot.
    while isinstance(node, lark.Tree) and node.data in ("member", "primary", "ident"):
        if len(node.children) != 1:
            return None
        node = node.children[0]
    return str(node) if isinstance(node, lark.Token) and node.type == "IDENT" else None


def _comprehension_variables(tree: lark.Tree[Any]) -> set[str]:
    names: set[str] = set()
    for node in tree.iter_subtrees():
        if node.data == "member_dot_arg" and str(node.children[1]) in COMPREHENSIONS:
            arguments = _items(node)
            if arguments:
                name = _bare_name(arguments[0])
                if name is not None:
                    names.add(name)
    return names


def _bare_name(node: lark.Tree[Any]) -> str | None:
    tokens = list(node.scan_values(lambda value: isinstance(value, lark.Token)))
    return str(tokens[0]) if len(tokens) == 1 and tokens[0].type == "IDENT" else None


def _items(node: lark.Tree[Any]) -> list[lark.Tree[Any]]:
    for child in node.children:
        if isinstance(child, lark.Tree) and child.data == "exprlist":
            return [item for item in child.children if isinstance(item, lark.Tree)]
    return []


def _position(node: lark.Tree[Any]) -> tuple[int, int]:
    meta = node.meta
    return getattr(meta, "line", 1) or 1, getattr(meta, "column", 1) or 1


def _reason(error: CELEvalError) -> str:
    # CELEvalError nests its cause; the innermost message says what went wrong.
    message: Any = error
    while isinstance(message, Exception) and message.args:
        first = message.args[-1] if isinstance(message.args[-1], tuple) else message.args[0]
        if isinstance(first, tuple) and first:
            first = first[0]
        if first == message:
            break
        message = first
    return str(message)[:200]


def _cel_type(value: Any) -> str:
    return type(value).__name__.removesuffix("Type").lower()
