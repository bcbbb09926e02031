import json
import uuid
from typing import get_args
from urllib.parse import urlencode

import httpx
from bs4 import Tag
from starlette.datastructures import FormData
from tradeloop_contracts import Problem, ProblemField, RuleKind

from tests.conftest import HTMX, NONCE
from tests.demo import demo_plan
from tests.factories import (
    a_plan,
    a_plan_preview,
    a_rule,
    a_user,
    a_version_history,
    a_violation,
    a_violation_page,
    an_account,
    an_account_list,
    an_adherence,
    some_limits,
    some_presets,
)
from tests.html import all_by_testid, by_testid, csp_violations, page, text_of
from tests.stub_edge import StubEdge
from web_ui.plan_rules import (
    RULE_KINDS,
    expression_error,
    new_rule_form,
    place_errors,
    plan_update,
    rule_forms,
)


def serve_plan(edge: StubEdge) -> None:
    plan = demo_plan()
    edge.answer("GET", "/api/v1/plan", plan)
    edge.answer("GET", "/api/v1/plan/versions", a_version_history(plan))
    edge.answer("GET", "/api/v1/plan/adherence", an_adherence(plan))
    edge.answer("GET", "/api/v1/violations", a_violation_page())
    edge.answer("GET", "/api/v1/plan/limits", some_limits())
    edge.answer("GET", "/api/v1/plan/presets", some_presets())
    edge.answer("GET", "/api/v1/accounts", an_account_list(an_account()))


def editor_form(**fields: str | list[str]) -> dict[str, str | list[str]]:
    """The editor's fields by name: `rules__0__kind` is the field `rules-0-kind`."""
    return {name.replace("__", "-"): value for name, value in fields.items()}


def submitted(fields: dict[str, str | list[str]]) -> FormData:
    return FormData(
        [
            (name, item)
            for name, value in fields.items()
            for item in (value if isinstance(value, list) else [value])
        ]
    )


class TestRuleFormModel:
    def test_the_editor_offers_every_kind_of_the_contracts(self) -> None:
        assert list(RULE_KINDS) == list(get_args(RuleKind))

    def test_rules_marked_for_removal_are_left_out_and_order_follows_the_index(self) -> None:
        form = submitted(
            editor_form(
                rules__10__kind="max_trades_per_day",
                rules__10__name="Ten",
                rules__10__count="10",
                rules__2__kind="cooldown_after_loss",
                rules__2__name="Two",
                rules__2__minutes="5",
                rules__2__enabled="yes",
                rules__3__kind="max_consecutive_losses",
                rules__3__name="Gone",
                rules__3__count="3",
                rules__3__remove="yes",
            )
        )

        rules = rule_forms(form)

        assert [(rule.index, rule.name, rule.enabled) for rule in rules] == [
            (2, "Two", True),
            (10, "Ten", False),
        ]

    def test_a_bad_value_is_placed_on_its_rule_and_field(self) -> None:
        rules = rule_forms(
            submitted(
                editor_form(
                    rules__0__kind="max_trades_per_day",
                    rules__0__name="Ok",
                    rules__0__count="4",
                    rules__1__kind="cooldown_after_loss",
                    rules__1__name="Bad",
                    rules__1__minutes="2000",
                    rules__2__kind="trading_window",
                    rules__2__name="No days",
                )
            )
        )

        assert plan_update(rules) is None
        assert rules[0].errors == {}
        assert rules[1].errors == {"minutes": "Use 1440 or less"}
        assert "weekdays" in rules[2].errors

    def test_edges_refusals_are_placed_by_their_location(self) -> None:
        rules = [new_rule_form(0, "max_daily_loss"), new_rule_form(5, "custom")]

        unplaced = place_errors(
            rules,
            [
                ProblemField(
                    location="body.rules.0.params.percent_of_account", message="needs a balance"
                ),
                ProblemField(location="/rules/1/params/expression", message="line 1, column 3: x"),
                ProblemField(location="body.rules.1.name", message="is used by another rule"),
                ProblemField(location="body", message="plan too big"),
            ],
        )

        assert rules[0].errors == {"percent_of_account": "needs a balance"}
        assert rules[1].errors == {
            "expression": "line 1, column 3: x",
            "name": "is used by another rule",
        }
        assert unplaced == ["plan too big"]

    def test_a_compile_error_points_at_its_line_and_column(self) -> None:
        at = expression_error(
            "position.pnl > 0 &&\nposition.sidee == 'long'",
            "line 2, column 10: unknown field sidee",
        )

        assert at is not None
        assert (at.line, at.column, at.message) == (2, 10, "unknown field sidee")
        assert at.source_line == "position.sidee == 'long'"

    def test_a_message_without_a_position_is_shown_as_it_is(self) -> None:
        assert expression_error("x", "too expensive") is None


class TestPlanPage:
    def test_every_rule_is_an_editable_typed_form(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        serve_plan(edge)

        soup = page(browser.get("/plan"))

        rules = all_by_testid(soup, "plan-rule")
        assert [rule["data-kind"] for rule in rules] == list(RULE_KINDS)
        window = rules[4]
        checked = [
            box["value"]
            for box in window.select('input[type="checkbox"][name="rules-4-weekdays"][checked]')
        ]
        assert checked == ["mon", "tue", "wed", "thu", "fri"]
        start = window.select_one("#rules-4-start")
        assert start is not None
        assert (start["type"], start["value"]) == ("time", "09:45")
        assert soup.select_one("#rules-7-blocked_symbols")["value"] == "GME, AMC"  # type: ignore[index]
        textarea = soup.select_one("#rules-13-expression")
        assert textarea is not None
        assert textarea.get_text() == "position.r_multiple > -1.5"
        for field in soup.select(
            "#plan-form input:not([type=hidden]), #plan-form select, #plan-form textarea"
        ):
            field_id = field.get("id")
            labelled = field_id and soup.select_one(f'label[for="{field_id}"]')
            assert labelled or field.find_parent("label") is not None, field
        assert "Version 3" in text_of(by_testid(soup, "plan-version"))
        versions = by_testid(soup, "plan-versions")
        assert [a["href"] for a in versions.find_all("a")] == [
            "/plan/versions/3",
            "/plan/versions/2",
            "/plan/versions/1",
        ]
        assert "Version 3 : 14 rules, from 2026-03-02 14:30 UTC (in force)" in text_of(versions)
        assert "Version 2 : 14 rules, from 2026-03-01 14:30 UTC until 2026-03-02 14:30 UTC" in (
            text_of(versions)
        )
        assert csp_violations(soup, NONCE) == []

    def test_a_trader_without_a_plan_starts_an_empty_one(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.refuse("GET", "/api/v1/plan", Problem(title="Not Found", status=404))
        edge.answer("GET", "/api/v1/violations", a_violation_page())

        response = browser.get("/plan")

        assert response.status_code == 200
        soup = page(response)
        assert "no trading plan yet" in text_of(by_testid(soup, "plan-version"))
        by_testid(soup, "plan-empty")
        assert "No broken rules" in text_of(by_testid(soup, "violations-empty"))

    def test_violations_show_rule_trade_seen_allowed_and_cost(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        plan = demo_plan()
        position = uuid.uuid4()
        edge.answer("GET", "/api/v1/plan", plan)
        edge.answer(
            "GET",
            "/api/v1/violations",
            a_violation_page(
                a_violation(rule_id=plan.rules[1].id),
                a_violation(
                    rule_id=uuid.uuid4(),
                    rule_kind="max_daily_loss",
                    position_id=position,
                    day=None,
                    cost="-100.00",
                ),
                next_cursor="older",
            ),
        )

        soup = page(browser.get("/plan"))

        rows = [text_of(row) for row in all_by_testid(soup, "violation-row")]
        assert rows[0] == (
            "2026-03-02 16:45 UTC Five a day v3 2026-03-02 7 positions opened at most 5 -240.50 USD"
        )
        assert rows[1].startswith("2026-03-02 16:45 UTC Maximum daily loss v3 the position")
        assert soup.select_one(f'a[href="/positions/{position}"]') is not None
        assert "-340.50 USD" in text_of(by_testid(soup, "violations-cost"))
        assert by_testid(soup, "violations-next")["href"] == "/plan?violations_cursor=older"
        assert edge.received("GET", "/api/v1/violations")[0].query == {"limit": "25"}

    def test_an_older_page_of_violations_is_asked_by_its_cursor(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        serve_plan(edge)

        browser.get("/plan?violations_cursor=older")

        assert edge.received("GET", "/api/v1/violations")[0].query == {
            "limit": "25",
            "cursor": "older",
        }

    def test_a_new_blank_rule_of_a_kind_is_added_with_the_next_index(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        response = browser.get("/plan/rules/new?kind=trading_window&index=4", headers=HTMX)

        soup = page(response)
        rule = by_testid(soup, "plan-rule")
        assert rule["data-kind"] == "trading_window"
        assert soup.select_one("#rules-4-name")["value"] == "Trading window"  # type: ignore[index]
        next_index = soup.select_one("#next-rule-index")
        assert next_index is not None
        assert (next_index["value"], next_index["hx-swap-oob"]) == ("5", "true")
        assert edge.requests == []

    def test_an_unknown_kind_is_refused(self, browser: httpx.Client, edge: StubEdge) -> None:
        response = browser.get("/plan/rules/new?kind=eval&index=0", headers=HTMX)

        assert response.status_code == 422
        assert edge.requests == []


def browser_form(form: Tag) -> list[tuple[str, str]]:
    """What a browser submits for `form`: named inputs, ticked boxes, chosen options."""
    pairs: list[tuple[str, str]] = []
    for field in form.find_all(["input", "select", "textarea"]):
        assert isinstance(field, Tag)
        name = field.get("name")
        if not isinstance(name, str) or field.get("form"):
            continue
        if field.name == "textarea":
            pairs.append((name, field.get_text()))
        elif field.name == "select":
            chosen = field.select_one("option[selected]") or field.select_one("option")
            pairs.append((name, str(chosen.get("value", chosen.get_text())) if chosen else ""))
        elif field.get("type") == "checkbox":
            if field.has_attr("checked"):
                pairs.append((name, str(field.get("value", "on"))))
        else:
            pairs.append((name, str(field.get("value", ""))))
    return pairs


class TestSavingThePlan:
    def test_the_rendered_editor_saves_every_rule_unchanged(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        serve_plan(edge)
        edge.answer("PUT", "/api/v1/plan", demo_plan())
        form = by_testid(page(browser.get("/plan")), "plan-form")

        fields = [(name, value) for name, value in browser_form(form) if name.startswith("rules-")]
        response = browser.post(
            "/plan",
            content=urlencode(fields),
            headers={**HTMX, "content-type": "application/x-www-form-urlencoded"},
        )

        assert response.status_code == 200
        sent = json.loads(edge.received("PUT", "/api/v1/plan")[0].body)["rules"]
        stored = demo_plan().rules
        assert [(rule["name"], rule["enabled"]) for rule in sent] == [
            (rule.name, rule.enabled) for rule in stored
        ]
        for sent_rule, stored_rule in zip(sent, stored, strict=True):
            expected = {k: v for k, v in stored_rule.params.items() if v not in (None, [])}
            assert {k: v for k, v in sent_rule["params"].items() if v not in (None, [])} == expected

    def test_the_rules_are_put_as_a_new_version(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        serve_plan(edge)
        saved = a_plan(a_rule("max_trades_per_day", "Four a day", count=4), version=4)
        edge.answer("PUT", "/api/v1/plan", saved)

        response = browser.post(
            "/plan",
            data=editor_form(
                rules__0__kind="max_trades_per_day",
                rules__0__name="Four a day",
                rules__0__count="4",
                rules__0__enabled="yes",
                rules__1__kind="symbols",
                rules__1__name="Dropped",
                rules__1__remove="yes",
            ),
            headers=HTMX,
        )

        assert response.status_code == 200
        assert response.headers["hx-trigger"] == "tl-plan"
        soup = page(response)
        assert "version 4 is in force" in text_of(by_testid(soup, "plan-notice"))
        assert "Version 4" in text_of(by_testid(soup, "plan-version"))
        [call] = edge.received("PUT", "/api/v1/plan")
        assert json.loads(call.body) == {
            "rules": [
                {
                    "name": "Four a day",
                    "enabled": True,
                    "params": {"kind": "max_trades_per_day", "count": 4},
                }
            ]
        }
        assert call.headers["idempotency-key"]

    def test_a_refused_value_is_shown_on_its_field_without_asking_edge(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        serve_plan(edge)

        response = browser.post(
            "/plan",
            data=editor_form(
                rules__0__kind="journal_required", rules__0__name="J", rules__0__hours="0"
            ),
            headers=HTMX,
        )

        assert response.status_code == 422
        soup = page(response)
        hours = soup.select_one("#rules-0-hours")
        assert hours is not None
        assert hours["aria-invalid"] == "true"
        assert hours["value"] == "0"
        assert "Use 1 or more" in text_of(by_testid(soup, "rule-error"))
        assert edge.received("PUT", "/api/v1/plan") == []

    def test_a_custom_rule_compile_error_is_shown_at_its_column(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        serve_plan(edge)
        edge.refuse(
            "PUT",
            "/api/v1/plan",
            Problem(
                title="Invalid plan",
                status=422,
                detail="Some rules cannot be used; see errors.",
                errors=[
                    ProblemField(
                        location="body.rules.0.params.expression",
                        message="line 1, column 10: undeclared reference to 'r_multipl'",
                    )
                ],
            ),
        )

        response = browser.post(
            "/plan",
            data=editor_form(
                rules__3__kind="custom",
                rules__3__name="Small losses",
                rules__3__expression="position.r_multipl > -1",
            ),
            headers=HTMX,
        )

        assert response.status_code == 422
        soup = page(response)
        error = by_testid(soup, "rule-error")
        assert "Line 1, column 10: undeclared reference to 'r_multipl'" in text_of(error)
        assert (
            by_testid(soup, "expression-caret").get_text()
            == "position.r_multipl > -1\n" + " " * 9 + "^"
        )
        assert soup.select_one("#rules-3-expression").get_text() == "position.r_multipl > -1"  # type: ignore[union-attr]

    def test_an_unreachable_edge_keeps_the_rules_in_the_editor(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        serve_plan(edge)
        edge.refuse("PUT", "/api/v1/plan", Problem(title="Down", status=503))

        response = browser.post(
            "/plan",
            data=editor_form(
                rules__0__kind="max_trades_per_day", rules__0__name="Keep me", rules__0__count="2"
            ),
            headers=HTMX,
        )

        assert response.status_code == 502
        soup = page(response)
        assert "could not be reached" in text_of(by_testid(soup, "plan-errors"))
        assert soup.select_one("#rules-0-name")["value"] == "Keep me"  # type: ignore[index]


class TestPlanVersion:
    def test_an_earlier_version_is_shown_read_only(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        old = a_plan(a_rule("cooldown_after_loss", "Breathe", minutes=30), version=2)
        edge.answer("GET", "/api/v1/plan/versions/2", old)

        soup = page(browser.get("/plan/versions/2"))

        assert [text_of(rule) for rule in all_by_testid(soup, "version-rule")] == [
            "Breathe Cooldown after a loss Minutes to wait after closing a loser 30"
        ]
        assert soup.select_one("form") is None or soup.select_one("#plan-form") is None

    def test_a_version_that_does_not_exist_is_not_found(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.answer("GET", "/api/v1/me", a_user())
        assert browser.get("/plan/versions/0").status_code == 404
        assert browser.get("/plan/versions/9").status_code == 404


class TestAdherence:
    def test_the_summary_shows_the_rate_streaks_pnl_effect_and_each_rule(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        serve_plan(edge)

        section = by_testid(page(browser.get("/plan")), "plan-adherence")

        assert "Kept to the plan 87.5%" in text_of(by_testid(section, "adherence-rate"))
        assert "3 longest 11" in text_of(by_testid(section, "adherence-streak"))
        pnl = text_of(by_testid(section, "adherence-pnl"))
        assert "(5)" in pnl
        assert "+2,046.90 USD with them +1,234.50 USD" in pnl
        assert [text_of(row) for row in all_by_testid(section, "adherence-row")] == [
            "Five a day 40 5 87.5% -812.40 USD"
        ]
        assert section["hx-trigger"] == "tl-plan from:body, tl-rules from:body"

    def test_without_checks_yet_the_summary_says_so(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        serve_plan(edge)
        edge.answer(
            "GET",
            "/api/v1/plan/adherence",
            an_adherence(demo_plan(), adherence_rate=None, rules=[]),
        )

        response = browser.get("/plan/adherence", headers=HTMX)

        by_testid(page(response), "adherence-empty")


class TestPreview:
    def test_the_editors_rules_are_judged_over_past_trades_without_saving(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.answer("POST", "/api/v1/plan/preview", a_plan_preview())

        response = browser.post(
            "/plan/preview",
            data=editor_form(
                rules__0__kind="max_trades_per_day",
                rules__0__name="Four a day",
                rules__0__count="4",
                rules__0__enabled="yes",
            ),
            headers=HTMX,
        )

        assert response.status_code == 200
        soup = page(response)
        summary = text_of(by_testid(soup, "plan-preview"))
        assert (
            "over 120 positions, these rules would have flagged 9 positions and 2 days"
            " (11 violations), costing -640.25 USD" in summary
        )
        assert [text_of(row) for row in all_by_testid(soup, "preview-row")] == [
            "Four a day 9 2 11 -640.25 USD"
        ]
        [call] = edge.received("POST", "/api/v1/plan/preview")
        assert json.loads(call.body)["rules"][0]["params"] == {
            "kind": "max_trades_per_day",
            "count": 4,
        }
        assert edge.received("PUT", "/api/v1/plan") == []

    def test_a_bad_rule_is_named_instead_of_a_preview(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        response = browser.post(
            "/plan/preview",
            data=editor_form(
                rules__0__kind="max_trades_per_day", rules__0__name="Zero", rules__0__count="0"
            ),
            headers=HTMX,
        )

        assert response.status_code == 422
        assert "Zero, count: Use 1 or more" in text_of(by_testid(page(response), "plan-preview"))
        assert edge.requests == []


class TestCustomRuleCheck:
    def test_the_problems_line_and_column_place_the_caret(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        serve_plan(edge)
        expression = "position.side == 'long' &&\n  position.r_multipl > -1"
        problem = {
            "type": "about:blank",
            "title": "Invalid plan",
            "status": 422,
            "detail": "Some rules cannot be used; see errors.",
            "errors": [
                {
                    "location": "body.rules.1.params.expression",
                    "message": "line 2, column 12: undeclared reference to 'r_multipl'",
                }
            ],
            "rule_index": 1,
            "expression": expression,
            "line": 2,
            "column": 12,
        }
        edge.answer("PUT", "/api/v1/plan", json.dumps(problem).encode(), status=422)

        response = browser.post(
            "/plan",
            data=editor_form(
                rules__0__kind="max_trades_per_day",
                rules__0__name="Four",
                rules__0__count="4",
                rules__4__kind="custom",
                rules__4__name="Long and small",
                rules__4__expression=expression,
            ),
            headers=HTMX,
        )

        assert response.status_code == 422
        soup = page(response)
        assert "Line 2, column 12: undeclared reference to 'r_multipl'" in text_of(
            by_testid(soup, "rule-error")
        )
        assert by_testid(soup, "expression-caret").get_text() == (
            "  position.r_multipl > -1\n" + " " * 11 + "^"
        )


class TestLimitsToday:
    def test_each_limit_is_a_bar_of_what_is_used_red_once_broken(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        serve_plan(edge)

        soup = page(browser.get("/plan"))

        panel = by_testid(soup, "plan-limits")
        assert panel["hx-get"] == "/plan/limits"
        triggers = str(panel["hx-trigger"])
        for event in ("tl-positions", "tl-rules", "tl-plan"):
            assert f"{event} from:body" in triggers
        heading = panel.find("h3")
        assert isinstance(heading, Tag)
        assert text_of(heading) == "Main margin"
        limits = {str(item["data-kind"]): item for item in all_by_testid(panel, "limit")}
        daily = limits["max_daily_loss"]
        assert text_of(by_testid(daily, "limit-text")) == "750.00 USD left of 1,100.00 USD"
        bar = daily.select_one("progress")
        assert bar is not None
        assert (bar["max"], bar["value"]) == ("1100", "350.00")
        consistency = limits["consistency"]
        assert "limit-breached" in consistency["class"]
        assert text_of(by_testid(consistency, "limit-text")) == (
            "Broken: best day 62.4% of the profit, at most 50%"
        )
        # A broken limit's bar is full, never past its end.
        assert consistency.select_one("progress")["value"] == "50"  # type: ignore[index]
        assert text_of(by_testid(limits["min_trading_days"], "limit-text")) == (
            "3 of 5 trading days, 2 to go"
        )
        assert text_of(by_testid(limits["max_open_contracts"], "limit-text")) == (
            "2 of 5 contracts"
        )
        assert "limit-breached" not in limits["trailing_drawdown"]["class"]

    def test_the_panel_reloads_alone_and_says_when_there_is_no_plan(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        edge.refuse("GET", "/api/v1/plan/limits", Problem(title="Not Found", status=404))
        edge.answer("GET", "/api/v1/accounts", an_account_list(an_account()))

        response = browser.get("/plan/limits", headers=HTMX)

        assert response.status_code == 200
        assert "No plan yet" in text_of(by_testid(page(response), "limits-empty"))


class TestPresets:
    def test_a_presets_rules_fill_the_editor_unsaved_and_save_as_they_are(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        serve_plan(edge)
        soup = page(browser.get("/plan"))
        choices = by_testid(soup, "plan-presets").select("#preset-choice option")
        assert [option["value"] for option in choices] == [
            preset.id for preset in some_presets().items
        ]

        response = browser.get(
            "/plan/presets/rules", params={"preset": "futures-evaluation-50k"}, headers=HTMX
        )

        assert response.status_code == 200
        fragment = page(response)
        assert [rule["data-kind"] for rule in all_by_testid(fragment, "plan-rule")] == [
            "max_daily_loss",
            "trailing_drawdown",
            "max_open_contracts",
        ]
        basis = fragment.select_one("#rules-1-basis option[selected]")
        assert basis is not None
        assert basis["value"] == "end_of_day"
        next_index = fragment.select_one("#next-rule-index")
        assert next_index is not None
        assert next_index["value"] == "3"
        fields = [(name, value) for name, value in browser_form(fragment) if name != "index"]
        update = plan_update(rule_forms(submitted(dict_of(fields))))
        assert update is not None
        assert update.rules == some_presets().items[0].rules
        assert edge.received("PUT", "/api/v1/plan") == []

    def test_an_unknown_preset_is_a_404(self, browser: httpx.Client, edge: StubEdge) -> None:
        serve_plan(edge)

        response = browser.get("/plan/presets/rules", params={"preset": "nope"}, headers=HTMX)

        assert response.status_code == 404


def dict_of(pairs: list[tuple[str, str]]) -> dict[str, str | list[str]]:
    fields: dict[str, str | list[str]] = {}
    for name, value in pairs:
        held = fields.get(name)
        if held is None:
            fields[name] = value
        else:
            fields[name] = [*(held if isinstance(held, list) else [held]), value]
    return fields


class TestJudgingState:
    def test_a_pending_plan_says_its_past_trades_are_being_judged(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        serve_plan(edge)
        assert all_by_testid(page(browser.get("/plan")), "plan-judging") == []  # judged
        pending = demo_plan().model_copy(update={"evaluation": "pending", "judged_version": 2})
        edge.answer("GET", "/api/v1/plan", pending)

        soup = page(browser.get("/plan"))

        assert "Judging your past trades by this version" in text_of(
            by_testid(soup, "plan-judging")
        )

    def test_a_limit_in_percent_names_the_accounts_without_a_starting_balance(
        self, browser: httpx.Client, edge: StubEdge
    ) -> None:
        serve_plan(edge)
        percent = a_rule("max_daily_loss", "Two percent", percent_of_account="2")
        edge.answer("GET", "/api/v1/plan", a_plan(percent))
        edge.answer(
            "GET",
            "/api/v1/accounts",
            an_account_list(
                an_account(), an_account(id=uuid.uuid4(), name="Funded", starting_balance=50000)
            ),
        )

        soup = page(browser.get("/plan/adherence"))

        [line] = all_by_testid(soup, "plan-limits-not-judged")[0].select("li")
        assert text_of(line) == "Two percent: Main margin has no starting balance"
