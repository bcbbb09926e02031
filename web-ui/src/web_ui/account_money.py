"""An account's money: starting balance and risk unit, its balance now, and its cash movements."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from tradeloop_contracts import (
    Account,
    AccountBalance,
    AccountList,
    AccountUpdate,
    CashMovementCreate,
    CashMovementList,
    ProblemField,
)

from web_ui.auth import signed_in_trader
from web_ui.browser import Browser, BrowserContext
from web_ui.edge import Edge, EdgeClient, EdgeProblemError, EdgeUnavailableError
from web_ui.forms import (
    STOP_FIELDS,
    errors_by_field,
    field_errors,
    form_values,
    in_utc,
    typed_default_stop,
)
from web_ui.rendering import error_response, render

router = APIRouter()

UNREACHABLE = ProblemField(
    location="form", message="Not saved: Tradeloop could not be reached. Try again."
)


async def _account(edge: EdgeClient, browser: BrowserContext, account_id: UUID) -> Account | None:
    accounts = (await edge.get(browser, "/api/v1/accounts", AccountList)).items
    return next((account for account in accounts if account.id == account_id), None)


async def _balance(
    edge: EdgeClient, browser: BrowserContext, account_id: UUID
) -> AccountBalance | None:
    """The balance now; None when the account has no starting balance (core answers 409)."""
    try:
        return await edge.get(browser, f"/api/v1/accounts/{account_id}/balance", AccountBalance)
    except EdgeProblemError as exc:
        if exc.problem.status == 409:
            return None
        raise


async def _context(
    edge: EdgeClient, browser: BrowserContext, account_id: UUID
) -> dict[str, Any] | None:
    account, balance, movements = await asyncio.gather(
        _account(edge, browser, account_id),
        _balance(edge, browser, account_id),
        edge.get(browser, f"/api/v1/accounts/{account_id}/cash-movements", CashMovementList),
    )
    if account is None:
        return None
    return {"account": account, "balance": balance, "movements": movements.items}


def _section(
    request: Request,
    context: dict[str, Any],
    form: str | None = None,
    values: dict[str, str] | None = None,
    errors: list[ProblemField] | None = None,
    status_code: int = 200,
    notice: str | None = None,
    *,
    page: bool = False,
) -> HTMLResponse:
    """The money section (or, with `page`, the whole page), `form` showing its outcome."""
    errors = errors or []
    forms: dict[str, dict[str, Any]] = {
        name: {"values": {}, "errors": {}, "form_errors": [], "notice": None}
        for name in ("money", "movement")
    }
    if form is not None:
        forms[form] = {
            "values": values or {},
            "errors": errors_by_field(errors),
            "form_errors": [e.message for e in errors if e.location in ("", "form")],
            "notice": notice,
        }
    return render(
        request,
        "account.html" if page else "fragments/account_money.html",
        {**context, "forms": forms},
        status_code=status_code,
    )


async def _send(
    edge: EdgeClient, browser: BrowserContext, method: str, path: str, body: Any = None
) -> tuple[list[ProblemField], int]:
    """What edge refused of the change, with its status; nothing when it was made."""
    try:
        await edge.send(browser, method, path, body=body)
    except EdgeProblemError as exc:
        return exc.problem.errors or [
            ProblemField(location="form", message=exc.problem.detail or exc.problem.title)
        ], exc.problem.status
    except EdgeUnavailableError:
        return [UNREACHABLE], 502
    return [], 200


def _not_found(request: Request) -> Response:
    return error_response(request, 404, "No such account", "None of your accounts has that id.")


@router.get("/settings/accounts/{account_id}", response_class=HTMLResponse)
async def account_page(
    request: Request, account_id: UUID, browser: Browser, edge: Edge
) -> Response:
    """One account: its starting balance and risk unit, its balance, its cash movements."""
    context, user = await asyncio.gather(
        _context(edge, browser, account_id), signed_in_trader(edge, browser)
    )
    if context is None:
        return _not_found(request)
    return _section(request, {**context, "user": user}, page=True)


@router.post("/settings/accounts/{account_id}", response_class=HTMLResponse)
async def save_money(request: Request, account_id: UUID, browser: Browser, edge: Edge) -> Response:
    """Set (or clear, left blank) the starting balance, the risk unit and the default stop."""
    values = form_values(await request.form(), ("starting_balance", "risk_unit", *STOP_FIELDS))
    fields: dict[str, Any] = {
        name: values.get(name) or None for name in ("starting_balance", "risk_unit")
    }
    fields["default_stop"] = typed_default_stop(values)
    # Shown back as typed, a cleared rule too.
    for name in STOP_FIELDS:
        values.setdefault(name, "")
    try:
        body = AccountUpdate.model_validate(fields)
    except ValidationError as exc:
        errors, status = field_errors(exc), 422
    else:
        errors, status = await _send(edge, browser, "PATCH", f"/api/v1/accounts/{account_id}", body)
    context = await _context(edge, browser, account_id)
    if context is None:
        return _not_found(request)
    if errors:
        return _section(request, context, "money", values, errors, status)
    return _section(
        request,
        context,
        "money",
        notice="Saved. Limits in % and R, and R from the default stop, are worked out again.",
    )


@router.post("/settings/accounts/{account_id}/cash-movements", response_class=HTMLResponse)
async def add_movement(
    request: Request, account_id: UUID, browser: Browser, edge: Edge
) -> Response:
    """Record a deposit or a withdrawal."""
    values = form_values(await request.form(), ("occurred_at", "amount", "note"))
    try:
        body = CashMovementCreate.model_validate(
            {**values, "occurred_at": in_utc(values.get("occurred_at", ""))}
        )
    except ValidationError as exc:
        errors, status = field_errors(exc), 422
    else:
        path = f"/api/v1/accounts/{account_id}/cash-movements"
        errors, status = await _send(edge, browser, "POST", path, body)
    context = await _context(edge, browser, account_id)
    if context is None:
        return _not_found(request)
    if errors:
        return _section(request, context, "movement", values, errors, status)
    return _section(request, context, "movement", notice="Recorded.")


@router.post(
    "/settings/accounts/{account_id}/cash-movements/{movement_id}/delete",
    response_class=HTMLResponse,
)
async def delete_movement(
    request: Request, account_id: UUID, movement_id: UUID, browser: Browser, edge: Edge
) -> Response:
    """Remove a deposit or withdrawal (one already gone is not an error)."""
    path = f"/api/v1/accounts/{account_id}/cash-movements/{movement_id}"
    errors, status = await _send(edge, browser, "DELETE", path)
    if status == 404:
        errors = []
    context = await _context(edge, browser, account_id)
    if context is None:
        return _not_found(request)
    if errors:
        return _section(request, context, "movement", errors=errors, status_code=status)
    return _section(request, context, "movement", notice="Removed.")
