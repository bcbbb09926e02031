"""Settings: preferences, accounts, personal API tokens, password and account deletion."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID
from zoneinfo import available_timezones

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import SecretStr, ValidationError
from tradeloop_contracts import (
    Account,
    AccountCreate,
    AccountDeletion,
    AccountList,
    ApiTokenCreate,
    ApiTokenCreated,
    ApiTokenList,
    PasswordChange,
    ProblemField,
    User,
    UserUpdate,
)

from web_ui.auth import redirect_with_cookies, signed_in_trader
from web_ui.browser import Browser, BrowserContext
from web_ui.edge import Edge, EdgeClient, EdgeProblemError, EdgeUnavailableError, parse
from web_ui.forms import (
    STOP_FIELDS,
    errors_by_field,
    field_errors,
    form_values,
    typed_default_stop,
)
from web_ui.rendering import render

router = APIRouter()

TIME_ZONES = sorted(available_timezones() - {"localtime", "Factory"})
UNREACHABLE = ProblemField(
    location="form", message="Not saved: Tradeloop could not be reached. Try again."
)


async def _tokens(edge: EdgeClient, browser: BrowserContext) -> dict[str, Any]:
    # The token table shows times in the trader's zone, so it needs the trader too.
    tokens, user = await asyncio.gather(
        edge.get(browser, "/api/v1/api-tokens", ApiTokenList), signed_in_trader(edge, browser)
    )
    return {"tokens": tokens.items, "user": user}


async def _accounts(edge: EdgeClient, browser: BrowserContext) -> list[Account]:
    return (await edge.get(browser, "/api/v1/accounts", AccountList)).items


_CHANGED = "Password changed. Your other sessions have been signed out."


@router.get("/settings", response_class=HTMLResponse)
async def settings_page(request: Request, browser: Browser, edge: Edge) -> HTMLResponse:
    """Every setting of the trader, one section each."""
    accounts, tokens = await asyncio.gather(_accounts(edge, browser), _tokens(edge, browser))
    forms: dict[str, dict[str, Any]] = {}
    if request.query_params.get("password") == "changed":
        forms["password"] = {"values": {}, "errors": {}, "form_errors": [], "notice": _CHANGED}
    return render(
        request,
        "settings.html",
        {
            **tokens,
            "accounts": accounts,
            "time_zones": TIME_ZONES,
            "forms": forms,
        },
    )


def _section(
    request: Request,
    name: str,
    context: dict[str, Any],
    values: dict[str, str] | None = None,
    errors: list[ProblemField] | None = None,
    status_code: int = 200,
    notice: str | None = None,
) -> HTMLResponse:
    errors = errors or []
    form = {
        "values": values or {},
        "errors": errors_by_field(errors),
        "form_errors": [e.message for e in errors if e.location in ("", "form")],
        "notice": notice,
    }
    return render(
        request,
        f"fragments/settings_{name}.html",
        {**context, "time_zones": TIME_ZONES, "forms": {name: form}},
        status_code=status_code,
    )


async def _submit(
    call: Callable[[], Awaitable[Any]],
) -> tuple[Any, list[ProblemField], int]:
    """edge's answer to `call`, or the refusal as field errors with its status."""
    try:
        return await call(), [], 200
    except EdgeProblemError as exc:
        errors = exc.problem.errors or [
            ProblemField(location="form", message=exc.problem.detail or exc.problem.title)
        ]
        return None, errors, exc.problem.status
    except EdgeUnavailableError:
        return None, [UNREACHABLE], 502


@router.post("/settings/preferences", response_class=HTMLResponse)
async def save_preferences(request: Request, browser: Browser, edge: Edge) -> HTMLResponse:
    """Change the time zone and base currency."""
    values = form_values(await request.form(), ("time_zone", "base_currency"))
    values["base_currency"] = values.get("base_currency", "").upper()
    user = await signed_in_trader(edge, browser)
    if values.get("time_zone") not in TIME_ZONES:
        zone = ProblemField(location="time_zone", message="Choose a time zone from the list")
        return _section(request, "preferences", {"user": user}, values, [zone], 422)
    try:
        body = UserUpdate.model_validate(values)
    except ValidationError as exc:
        return _section(request, "preferences", {"user": user}, values, field_errors(exc), 422)
    answer, errors, status = await _submit(
        lambda: edge.send(browser, "PATCH", "/api/v1/me", body=body)
    )
    if errors:
        return _section(request, "preferences", {"user": user}, values, errors, status)
    saved = parse(answer, User)
    return _section(request, "preferences", {"user": saved}, notice="Preferences saved.")


ACCOUNT_FIELDS = (
    "name",
    "broker",
    "account_number",
    "base_currency",
    "time_zone",
    "starting_balance",
    "risk_unit",
)


@router.post("/settings/accounts", response_class=HTMLResponse)
async def create_account(request: Request, browser: Browser, edge: Edge) -> HTMLResponse:
    """Add a trading account, with its default stop rule when one is chosen."""
    values = form_values(await request.form(), (*ACCOUNT_FIELDS, *STOP_FIELDS))
    if "base_currency" in values:
        values["base_currency"] = values["base_currency"].upper()
    fields: dict[str, Any] = {name: values[name] for name in ACCOUNT_FIELDS if name in values}
    fields["default_stop"] = typed_default_stop(values)
    try:
        body = AccountCreate.model_validate(fields)
    except ValidationError as exc:
        accounts = await _accounts(edge, browser)
        context = {"accounts": accounts}
        return _section(request, "accounts", context, values, field_errors(exc), 422)
    answer, errors, status = await _submit(
        lambda: edge.send(browser, "POST", "/api/v1/accounts", body=body)
    )
    accounts = await _accounts(edge, browser)
    if errors:
        return _section(request, "accounts", {"accounts": accounts}, values, errors, status)
    created = parse(answer, Account)
    if all(account.id != created.id for account in accounts):
        accounts.append(created)
    notice = f"Account {created.name} added."
    return _section(request, "accounts", {"accounts": accounts}, notice=notice)


@router.post("/settings/api-tokens", response_class=HTMLResponse)
async def create_api_token(request: Request, browser: Browser, edge: Edge) -> HTMLResponse:
    """Create a personal API token and show its secret, this once."""
    form = await request.form()
    values = form_values(form, ("name",))
    scopes = [scope for scope in form.getlist("scopes") if isinstance(scope, str)]
    try:
        body = ApiTokenCreate.model_validate({**values, "scopes": scopes})
    except ValidationError as exc:
        tokens = await _tokens(edge, browser)
        return _section(request, "tokens", tokens, values, field_errors(exc), 422)
    answer, errors, status = await _submit(
        lambda: edge.send(browser, "POST", "/api/v1/api-tokens", body=body)
    )
    tokens = await _tokens(edge, browser)
    if errors:
        return _section(request, "tokens", tokens, values, errors, status)
    created = parse(answer, ApiTokenCreated)
    return _section(request, "tokens", {**tokens, "created": created}, status_code=201)


@router.post("/settings/api-tokens/{token_id}/revoke", response_class=HTMLResponse)
async def revoke_api_token(
    request: Request, token_id: UUID, browser: Browser, edge: Edge
) -> HTMLResponse:
    """Revoke a personal API token; it stops working at once."""
    await edge.send(browser, "DELETE", f"/api/v1/api-tokens/{token_id}")
    tokens = await _tokens(edge, browser)
    return _section(request, "tokens", tokens, notice="Token revoked.")


@router.post("/settings/password")
async def change_password(request: Request, browser: Browser, edge: Edge) -> Response:
    """Change the password; the trader's other sessions end."""
    form = await request.form()
    values = form_values(form, ("current_password", "new_password"))
    # Both are passwords: kept exactly as typed.
    exact = {name: value for name in values if isinstance(value := form.get(name), str)}
    try:
        body = PasswordChange.model_validate(exact)
    except ValidationError as exc:
        return _section(request, "password", {}, {}, field_errors(exc), 422)
    answer, errors, status = await _submit(
        lambda: edge.send(browser, "POST", "/api/v1/auth/password", body=body)
    )
    if errors:
        return _section(request, "password", {}, {}, errors, status)
    # edge moved this browser to a new session id: the browser takes the new cookie, and
    # the page it loads next carries the CSRF token that goes with it.
    return redirect_with_cookies(
        "/settings?password=changed#settings-password", answer.headers.get_list("set-cookie")
    )


@router.get("/settings/delete", response_class=HTMLResponse)
async def delete_account_page(request: Request, browser: Browser, edge: Edge) -> HTMLResponse:
    """The confirmation step before an account is deleted."""
    user = await signed_in_trader(edge, browser)
    context = {"user": user, "errors": {}, "form_errors": []}
    return render(request, "settings_delete.html", context)


@router.post("/settings/delete")
async def delete_account(request: Request, browser: Browser, edge: Edge) -> Response:
    """Delete the account for good once the password and the confirmation are given."""
    form = await request.form()
    password = form.get("password")
    errors: list[ProblemField] = []
    if form.get("confirm") != "yes":
        errors.append(ProblemField(location="confirm", message="Tick the box to confirm"))
    if not isinstance(password, str) or not password:
        errors.append(ProblemField(location="password", message="Enter your password"))
    answer, status = None, 422
    if not errors:
        body = AccountDeletion(password=SecretStr(str(password)))
        answer, errors, status = await _submit(
            lambda: edge.send(browser, "DELETE", "/api/v1/me", body=body)
        )
    if errors or answer is None:
        user = await signed_in_trader(edge, browser)
        return render(
            request,
            "fragments/delete_form.html",
            {
                "user": user,
                "errors": errors_by_field(errors),
                "form_errors": [e.message for e in errors if e.location in ("", "form")],
            },
            status_code=status,
        )
    response: Response
    if request.headers.get("hx-request") == "true":
        response = Response(status_code=204, headers={"hx-redirect": "/signup"})
    else:
        response = RedirectResponse("/signup", status_code=303)
    for cookie in answer.headers.get_list("set-cookie"):
        response.headers.append("set-cookie", cookie)
    return response
