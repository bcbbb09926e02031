"""CEL rules: checked when saved, with the column of the problem; hostile ones refused."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core_api.plans.custom_rules import MAX_REMEMBERED_ANSWERS, CustomRuleError, compile_rule


class TestCompileRule:
    def test_a_rule_over_the_documented_fields_compiles(self) -> None:
        rule = compile_rule("position.quantity <= 500.0 && day.trades_before < 3")
        assert rule.expression.startswith("position.quantity")

    @pytest.mark.parametrize(
        ("expression", "line", "column", "message"),
        [
            ("position.qty > 1", 1, 10, "position has no field qty"),
            ("position.quantity > 1 &&", 1, 23, "does not parse"),
            ("\n  day.nope > 1", 2, 7, "day has no field nope"),
            ("foo == 1", 1, 1, "unknown name foo"),
            ("position.symbol + 1 == 2", 1, 1, "does not type-check"),
            ("position.quantity", 1, 1, "must give true or false"),
        ],
    )
    def test_errors_point_at_the_line_and_column(
        self, expression: str, line: int, column: int, message: str
    ) -> None:
        with pytest.raises(CustomRuleError) as caught:
            compile_rule(expression)
        assert (caught.value.line, caught.value.column) == (line, column)
        assert message in caught.value.message
        assert str(caught.value).startswith(f"line {line}, column {column}: ")


class TestHostileRules:
    def test_deep_nesting_is_refused_before_parsing(self) -> None:
        with pytest.raises(CustomRuleError, match="nests deeper than 16 levels"):
            compile_rule("(" * 900 + "true" + ")" * 900)

    def test_huge_lists_are_refused(self) -> None:
        with pytest.raises(CustomRuleError, match="lists 101 items; the limit is 100"):
            compile_rule("position.symbol in [" + ",".join(['"A"'] * 101) + "]")

    def test_long_strings_are_refused(self) -> None:
        with pytest.raises(CustomRuleError, match="literal longer than 256"):
            compile_rule('position.symbol == "' + "A" * 257 + '"')

    def test_long_expressions_are_refused(self) -> None:
        with pytest.raises(CustomRuleError, match="the limit is 2000"):
            compile_rule(" || ".join(["position.quantity > 1.0"] * 100))

    def test_comprehensions_nest_at_most_twice(self) -> None:
        with pytest.raises(CustomRuleError, match="nests more than 2"):
            compile_rule("[1].all(a, [1].all(b, [1].all(c, a + b + c > 0)))")

    def test_nested_comprehensions_that_multiply_work_are_refused(self) -> None:
        items = "[" + ",".join(["1"] * 100) + "]"
        assert compile_rule(f"{items}.all(a, [1, 2].exists(b, a > b))")
        with pytest.raises(CustomRuleError, match="up to 10000 items per position; the limit is"):
            compile_rule(f"{items}.all(a, {items}.all(b, a + b > 0))")
        with pytest.raises(CustomRuleError, match="up to 2500 items"):
            compile_rule("position.tags.all(t, position.tags.exists(u, t == u))")

    def test_regular_expressions_are_refused(self) -> None:
        with pytest.raises(CustomRuleError, match=r"matches\(\), which is not allowed") as caught:
            compile_rule('position.symbol.matches("(a+)+$")')
        assert caught.value.column == 17

    @pytest.mark.usefixtures("slow_clock")
    def test_a_trial_run_over_the_time_limit_is_refused(self) -> None:
        with pytest.raises(CustomRuleError) as caught:
            compile_rule("position.quantity > 1.0")
        assert str(caught.value) == "line 1, column 1: takes longer than 500 ms to evaluate"


class TestFieldsRead:
    def test_only_the_fields_an_expression_reads_are_handed_to_it(self) -> None:
        rule = compile_rule("position.quantity > 1.0 && day.trades_before < 2")
        assert rule.fields == {
            "position": frozenset({"quantity"}),
            "day": frozenset({"trades_before"}),
        }

    def test_a_variable_used_whole_gets_every_field(self) -> None:
        rule = compile_rule('"symbol" in position && position.quantity > 1.0')
        assert rule.fields == {"position": None}
        values = {"position": {"symbol": "AAPL", "quantity": 2.0, "tags": []}}
        assert rule.holds(values)


class TestRememberedAnswers:
    EXPRESSION = 'position.quantity <= 20.0 || (execution.hour >= 10 && "a" in position.tags)'

    @settings(max_examples=60, deadline=None)
    @given(
        st.lists(
            st.tuples(
                st.sampled_from([5.0, 20.0, 20.5, 100.0]),
                st.integers(min_value=8, max_value=11),
                st.lists(st.sampled_from(["a", "b"]), max_size=2),
            ),
            min_size=1,
            max_size=30,
        )
    )
    def test_a_remembered_answer_is_the_answer_evaluation_gives(
        self, cases: list[tuple[float, int, list[str]]]
    ) -> None:
        remembering = compile_rule(self.EXPRESSION)
        for quantity, hour, tags in cases:
            values: dict[str, dict[str, Any]] = {
                "position": {"quantity": quantity, "tags": tags},
                "execution": {"hour": hour},
            }
            # A fresh compile has nothing remembered: it evaluates every time.
            assert remembering.holds(values) == compile_rule(self.EXPRESSION).holds(values)
        assert len(remembering.answers) == len(
            {(quantity, hour, tuple(tags)) for quantity, hour, tags in cases}
        )

    def test_the_remembered_answers_are_bounded(self) -> None:
        rule = compile_rule("day.realised_pnl_before > -300.0")
        for step in range(MAX_REMEMBERED_ANSWERS + 5):
            assert rule.holds({"day": {"realised_pnl_before": -float(step)}}) == (step < 300)
        assert 0 < len(rule.answers) <= MAX_REMEMBERED_ANSWERS
