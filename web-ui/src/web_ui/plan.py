"""The trading plan page: limits today, presets, the rules editor, earlier versions, and
the violations list."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from tradeloop_contracts import (
    Account,
    AccountList,
    Adherence,
    CustomRuleCheck,
    LimitDistance,
    PlanLimits,
    PlanPreset,
    PlanPresetList,
    PlanPreview,
    PlanVersion,
    PlanVersionList,
    TradingPlan,
    User,
    ViolationPage,
)

from web_ui.auth import signed_in_trader
from web_ui.browser import Browser, BrowserContext
from web_ui.edge import (
    Edge,
    EdgeClient,
    EdgeNotFoundError,
    EdgeProblemError,
    EdgeUnavailableError,
    parse,
)
from web_ui.filters import AccountChoice, read_query
from web_ui.plan_rules import (
    ASSET_CLASSES,
    RULE_KINDS,
    WEEKDAYS,
    RuleForm,
    expression_error,
    new_rule_form,
    place_check,
    place_errors,
    plan_update,
    rule_forms,
    stored_rule_form,
)
from web_ui.rendering import amount, error_response, number, render

router = APIRouter()

VIOLATIONS_PAGE_SIZE = "25"
EDITOR_CONTEXT = {
    "rule_kinds": RULE_KINDS,
    "weekdays": WEEKDAYS,
    "asset_classes": ASSET_CLASSES,
    "expression_error": expression_error,
}


async def current_plan(edge: EdgeClient, browser: BrowserContext) -> TradingPlan | None:
    """The plan in force; None for a trader who never saved one (core answers 404)."""
    try:
        return await edge.get(browser, "/api/v1/plan", TradingPlan)
    except EdgeNotFoundError:
        return None


async def _versions(edge: EdgeClient, browser: BrowserContext) -> list[PlanVersion]:
    try:
        return (await edge.get(browser, "/api/v1/plan/versions", PlanVersionList)).items
    except EdgeNotFoundError:
        return []


async def _adherence(
    edge: EdgeClient, browser: BrowserContext, chosen: AccountChoice
) -> Adherence | None:
    try:
        return await edge.get(browser, "/api/v1/plan/adherence", Adherence, params=chosen.params())
    except EdgeNotFoundError:
        return None


def _editor(
    rules: list[RuleForm],
    plan: TradingPlan | None,
    versions: list[PlanVersion],
    user: User,
    *,
    notice: str | None = None,
    form_errors: list[str] | None = None,
) -> dict[str, Any]:
    return {
        **EDITOR_CONTEXT,
        "plan": plan,
        "versions": versions,
        "user": user,
        "rules": rules,
        "next_index": max((rule.index for rule in rules), default=-1) + 1,
        "notice": notice,
        "form_errors": form_errors or [],
    }


def _stored_rules(plan: TradingPlan | None) -> list[RuleForm]:
    return [stored_rule_form(i, rule) for i, rule in enumerate(plan.rules if plan else [])]


def _violations(
    page: ViolationPage, plan: TradingPlan | None, cursor: str | None
) -> dict[str, Any]:
    costs: dict[str, Decimal] = defaultdict(Decimal)
    for violation in page.items:
        costs[violation.currency] += violation.cost
    rule_names: dict[UUID, str] = {rule.id: rule.name for rule in plan.rules} if plan else {}
    return {
        "violations": page.items,
        "next_cursor": page.next_cursor,
        "cursor": cursor,
        "costs": dict(costs),
        "rule_names": rule_names,
        "rule_kinds": RULE_KINDS,
    }


async def _violation_page(
    edge: EdgeClient, browser: BrowserContext, cursor: str | None, chosen: AccountChoice
) -> ViolationPage:
    params = {
        "limit": VIOLATIONS_PAGE_SIZE,
        **({"cursor": cursor} if cursor else {}),
        **chosen.params(),
    }
    return await edge.get(browser, "/api/v1/violations", ViolationPage, params=params)


def _unjudged(
    plan: TradingPlan | None, chosen: AccountChoice, accounts: Sequence[Account]
) -> list[str]:
    """Why a limit in % or R is not judged for some of the trader's `accounts` (the chosen
    one, or any): "<rule>: <account> has no …"."""
    wants = {
        (rule.name, unit)
        for rule in (plan.rules if plan else [])
        if rule.kind in ("max_daily_loss", "max_risk_per_trade")
        for unit in ("percent_of_account", "r_multiple")
        if rule.params.get(unit) is not None
    }
    return [
        f"{name}: {account.name} has no "
        + ("starting balance" if unit == "percent_of_account" else "risk unit")
        for name, unit in sorted(wants)
        for account in accounts
        if chosen.account_id in (None, account.id)
        and (account.starting_balance if unit == "percent_of_account" else account.risk_unit)
        is None
    ]


@router.get("/plan", response_class=HTMLResponse)
async def plan_page(
    request: Request, browser: Browser, edge: Edge, violations_cursor: str | None = None
) -> HTMLResponse:
    """The plan in force, its limits today, presets, the rules editor and the violations;
    limits, adherence and violations of one account or all."""
    chosen = read_query(request, AccountChoice)
    # Another trader's account: core's violations answer 404, and so does the page.
    (
        (plan, versions, violations, adherence, user),
        (limits, presets, accounts),
    ) = await asyncio.gather(
        asyncio.gather(
            current_plan(edge, browser),
            _versions(edge, browser),
            _violation_page(edge, browser, violations_cursor, chosen),
            _adherence(edge, browser, chosen),
            signed_in_trader(edge, browser),
        ),
        asyncio.gather(
            _plan_limits(edge, browser, chosen), _presets(edge, browser), _accounts(edge, browser)
        ),
    )
    context = {
        **_editor(_stored_rules(plan), plan, versions, user),
        **_violations(violations, plan, violations_cursor),
        "adherence": adherence,
        "limits": _limit_groups(limits, accounts),
        "presets": presets,
        "accounts": accounts,
        "unjudged": _unjudged(plan, chosen, accounts),
    }
    return render(request, "plan.html", context)


@dataclass(frozen=True)
class LimitBar:
    """One limit as its bar shows it: how much of it is used (0..limit) and in words."""

    item: LimitDistance
    used: Decimal
    text: str


@dataclass(frozen=True)
class AccountLimits:
    name: str
    bars: list[LimitBar]


def limit_bar(item: LimitDistance) -> LimitBar:
    """The bar of one limit: the used part is the limit less what remains, within 0..limit."""
    used = min(max(item.limit - item.remaining, Decimal(0)), item.limit)

    def shown(value: Decimal) -> str:
        if item.unit == "currency":
            return amount(value, item.currency)
        return f"{number(value)}%" if item.unit == "percent" else number(value)

    if item.unit == "days":
        text = f"{shown(item.current)} of {shown(item.limit)} trading days"
        text += ", reached" if item.remaining <= 0 else f", {shown(item.remaining)} to go"
    elif item.unit == "percent":
        text = f"best day {shown(item.current)} of the profit, at most {shown(item.limit)}"
    elif item.breached:
        text = f"over by {shown(-item.remaining)} (limit {shown(item.limit)})"
    elif item.unit == "currency":
        text = f"{shown(item.remaining)} left of {shown(item.limit)}"
    else:
        text = f"{shown(item.current)} of {shown(item.limit)} {item.unit}"
    return LimitBar(item, used, text)


async def _accounts(edge: EdgeClient, browser: BrowserContext) -> list[Account]:
    return (await edge.get(browser, "/api/v1/accounts", AccountList)).items


async def _plan_limits(
    edge: EdgeClient, browser: BrowserContext, chosen: AccountChoice
) -> PlanLimits | None:
    """Each account's (or the chosen one's) limits today; None without a plan (core's 404,
    which it also answers for another trader's account: see `AccountChoice.require_among`)."""
    try:
        return await edge.get(browser, "/api/v1/plan/limits", PlanLimits, params=chosen.params())
    except EdgeNotFoundError:
        return None


def _limit_groups(
    limits: PlanLimits | None, accounts: Sequence[Account]
) -> list[AccountLimits] | None:
    """The limits' bars grouped by account, in core's order, named from the trader's
    `accounts`; None without a plan."""
    if limits is None:
        return None
    names = {account.id: account.name for account in accounts}
    grouped: dict[UUID, list[LimitBar]] = {}
    for item in limits.items:
        grouped.setdefault(item.account_id, []).append(limit_bar(item))
    return [
        AccountLimits(names.get(account_id, "Account"), bars)
        for account_id, bars in grouped.items()
    ]


async def _presets(edge: EdgeClient, browser: BrowserContext) -> list[PlanPreset]:
    try:
        return (await edge.get(browser, "/api/v1/plan/presets", PlanPresetList)).items
    except EdgeNotFoundError:
        return []


@router.get("/plan/limits", response_class=HTMLResponse)
async def plan_limits(request: Request, browser: Browser, edge: Edge) -> HTMLResponse:
    """The limits panel alone, reloaded when a position closes, a rule is broken or the
    plan changes."""
    chosen = read_query(request, AccountChoice)
    limits, accounts = await asyncio.gather(
        _plan_limits(edge, browser, chosen), _accounts(edge, browser)
    )
    # Core's 404 reads as "no plan yet": another trader's account must be a 404 page.
    chosen.require_among(accounts)
    context = {"limits": _limit_groups(limits, accounts)}
    return render(request, "fragments/plan_limits.html", context)


@router.get("/plan/presets/rules", response_class=HTMLResponse)
async def preset_rules(request: Request, browser: Browser, edge: Edge, preset: str) -> Response:
    """A preset's rules in place of the editor's, not saved: to preview, change and save."""
    chosen = next((item for item in await _presets(edge, browser) if item.id == preset), None)
    if chosen is None:
        return error_response(request, 404, "No such preset", f"No preset {preset!r}.")
    rules = [stored_rule_form(index, rule) for index, rule in enumerate(chosen.rules)]
    context = {**EDITOR_CONTEXT, "rules": rules, "preset": chosen}
    return render(request, "fragments/plan_preset_rules.html", context)


async def _plan_and_trader(
    edge: EdgeClient, browser: BrowserContext
) -> tuple[TradingPlan | None, list[PlanVersion], User]:
    return await asyncio.gather(
        current_plan(edge, browser), _versions(edge, browser), signed_in_trader(edge, browser)
    )


@router.get("/plan/adherence", response_class=HTMLResponse)
async def plan_adherence(request: Request, browser: Browser, edge: Edge) -> HTMLResponse:
    """The adherence summary alone, reloaded when the plan changes or a rule is broken."""
    chosen = read_query(request, AccountChoice)
    plan, adherence, accounts = await asyncio.gather(
        current_plan(edge, browser), _adherence(edge, browser, chosen), _accounts(edge, browser)
    )
    # Core's 404 reads as "no adherence yet": another trader's account must be a 404 page.
    chosen.require_among(accounts)
    context = {
        "adherence": adherence,
        "plan": plan,
        "rule_kinds": RULE_KINDS,
        "unjudged": _unjudged(plan, chosen, accounts),
    }
    return render(request, "fragments/plan_adherence.html", context)


@router.get("/plan/violations", response_class=HTMLResponse)
async def plan_violations(request: Request, browser: Browser, edge: Edge) -> HTMLResponse:
    """The newest violations alone, reloaded when the plan changes or a rule is broken."""
    chosen = read_query(request, AccountChoice)
    plan, violations, user = await asyncio.gather(
        current_plan(edge, browser),
        _violation_page(edge, browser, None, chosen),
        signed_in_trader(edge, browser),
    )
    context = {**_violations(violations, plan, None), "user": user}
    return render(request, "fragments/plan_violations.html", context)


@router.get("/plan/rules/new", response_class=HTMLResponse)
async def new_rule(request: Request, kind: str, index: int) -> Response:
    """A blank rule of one kind for the editor, at the next free index."""
    if kind not in RULE_KINDS or not 0 <= index < 1000:
        return error_response(request, 422, "Unknown kind of rule", f"No rule kind {kind!r}.")
    context = {**EDITOR_CONTEXT, "rule": new_rule_form(index, kind)}
    return render(request, "fragments/plan_rule_added.html", context)


@router.post("/plan", response_class=HTMLResponse)
async def save_plan(request: Request, browser: Browser, edge: Edge) -> HTMLResponse:
    """Save the editor's rules as a new version of the plan."""
    rules = rule_forms(await request.form())
    plan, versions, user = await _plan_and_trader(edge, browser)
    update = plan_update(rules)
    if update is None:
        context = _editor(rules, plan, versions, user)
        return render(request, "fragments/plan_editor.html", context, status_code=422)
    try:
        answer = await edge.send(browser, "PUT", "/api/v1/plan", body=update)
    except EdgeProblemError as exc:
        unplaced = _place_refusal(rules, exc)
        context = _editor(rules, plan, versions, user, form_errors=unplaced)
        return render(
            request, "fragments/plan_editor.html", context, status_code=exc.problem.status
        )
    except EdgeUnavailableError:
        unreachable = ["Not saved: Tradeloop could not be reached. Try again."]
        context = _editor(rules, plan, versions, user, form_errors=unreachable)
        return render(request, "fragments/plan_editor.html", context, status_code=502)
    saved = parse(answer, TradingPlan)
    versions = await _versions(edge, browser)
    notice = f"Saved: version {saved.version} is in force; your past trades are judged by it next."
    return render(
        request,
        "fragments/plan_editor.html",
        _editor(_stored_rules(saved), saved, versions, user, notice=notice),
        headers={"hx-trigger": "tl-plan"},
    )


def _place_refusal(rules: list[RuleForm], exc: EdgeProblemError) -> list[str]:
    """Each refusal on its rule's field (a custom rule's at its column); the rest returned."""
    unplaced = place_errors(rules, exc.problem.errors)
    if not exc.problem.errors:
        unplaced.append(exc.problem.detail or exc.problem.title)
    try:
        check = CustomRuleCheck.model_validate_json(exc.body)
    except ValidationError:
        return unplaced
    index = check.rule_index
    message = (
        rules[index].errors.get("expression", "")
        if index is not None and index < len(rules)
        else ""
    )
    place_check(rules, check, message or check.detail or check.title)
    return unplaced


@router.post("/plan/preview", response_class=HTMLResponse)
async def preview_plan(request: Request, browser: Browser, edge: Edge) -> HTMLResponse:
    """What the editor's rules would have flagged over every stored trade; nothing is saved."""
    rules = rule_forms(await request.form())
    update = plan_update(rules)
    context: dict[str, Any] = {"preview": None, "rules": rules, "errors": []}
    if update is None:
        context["errors"] = ["Fix the rules marked below, then preview again."]
        return render(request, "fragments/plan_preview.html", context, status_code=422)
    try:
        answer = await edge.send(browser, "POST", "/api/v1/plan/preview", body=update)
    except EdgeProblemError as exc:
        context["errors"] = _place_refusal(rules, exc) or [
            "Fix the rules marked in the editor, then preview again."
        ]
        return render(
            request, "fragments/plan_preview.html", context, status_code=exc.problem.status
        )
    context["preview"] = parse(answer, PlanPreview)
    return render(request, "fragments/plan_preview.html", context)


@router.get("/plan/versions/{version}", response_class=HTMLResponse)
async def plan_version(
    request: Request, version: int, browser: Browser, edge: Edge
) -> HTMLResponse:
    """One version of the plan, read-only."""
    if version < 1:
        raise EdgeNotFoundError(f"plan version {version}")
    plan, user = await asyncio.gather(
        edge.get(browser, f"/api/v1/plan/versions/{version}", TradingPlan),
        signed_in_trader(edge, browser),
    )
    context = {**EDITOR_CONTEXT, "plan": plan, "rules": _stored_rules(plan), "user": user}
    return render(request, "plan_version.html", context)
