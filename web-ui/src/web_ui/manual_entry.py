"""Trades and fills entered by hand, and the trader's edits and deletes over a position's fills.

A trade (a round trip) is added from its own page and opens the new position's page; a
single fill is added from the page beside it, its time typed in the account's zone, and
opens the position matching put it in. On a position's
page each fill has an edit form that sends only the fields changed, a revert button per
field the trader edited, and a delete; the page reloads after each change, as its numbers
are core's to work out again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import httpx
from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from tradeloop_contracts import (
    Account,
    AccountList,
    Execution,
    ExecutionCreate,
    ExecutionEdit,
    PositionCreate,
    PositionDetail,
    ProblemField,
    RequestBody,
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
from web_ui.forms import errors_by_field, field_errors, form_values, in_utc, in_zone
from web_ui.rendering import error_response, render

router = APIRouter()

UNREACHABLE = "Not saved: Tradeloop could not be reached. Try again."

# The instrument's inputs both forms share, in the order they show them.
INSTRUMENT_INPUTS = (
    "asset_class",
    "symbol",
    "currency",
    "multiplier",
    "underlying",
    "expiry",
    "strike",
    "right",
    "root",
)
# The add-a-trade form's fields, and those that describe the instrument.
TRADE_FIELDS = (
    "account_id",
    *INSTRUMENT_INPUTS,
    "direction",
    "quantity",
    "entry_at",
    "entry_price",
    "exit_at",
    "exit_price",
    "commission",
    "initial_stop",
    "note",
)
INSTRUMENT_FIELDS = ("asset_class", "symbol", "currency", "multiplier")
# The add-a-fill form's fields.
FILL_FIELDS = (
    "account_id",
    "executed_at",
    *INSTRUMENT_INPUTS,
    "side",
    "quantity",
    "price",
    "commission",
    "fees",
    "note",
)
# Only an asset class that needs them takes these (contracts' Instrument).
CLASS_FIELDS = {
    "option": ("underlying", "expiry", "strike", "right"),
    "future_option": ("underlying", "expiry", "strike", "right"),
    "future": ("root", "expiry"),
}

# A fill's edit form, in the order shown; every one but the note is required.
EDIT_FIELDS = ("price", "quantity", "commission", "fees", "executed_at", "note")
REQUIRED_EDIT_FIELDS = EDIT_FIELDS[:-1]


def position_create(values: dict[str, str]) -> PositionCreate:
    """The add-a-trade form as contracts' body; times typed without an offset are UTC.

    Raises ValidationError naming the fields refused."""
    trade: dict[str, Any] = {
        name: values[name]
        for name in ("account_id", "direction", "quantity", "entry_price", "exit_price")
        if name in values
    }
    trade.update({name: in_utc(values[name]) for name in ("entry_at", "exit_at") if name in values})
    trade.update(
        {name: values[name] for name in ("commission", "initial_stop", "note") if name in values}
    )
    return PositionCreate.model_validate({**trade, "instrument": _instrument(values)})


def execution_create(values: dict[str, str], accounts: Sequence[Account]) -> ExecutionCreate:
    """The add-a-fill form as contracts' body; a time typed without an offset is read in
    the chosen account's zone.

    Raises ValidationError naming the fields refused."""
    zone = next((a.time_zone for a in accounts if str(a.id) == values.get("account_id")), "UTC")
    fill: dict[str, Any] = {
        name: values[name]
        for name in ("account_id", "side", "quantity", "price", "commission", "fees", "note")
        if name in values
    }
    if "executed_at" in values:
        fill["executed_at"] = in_zone(values["executed_at"], zone)
    return ExecutionCreate.model_validate({**fill, "instrument": _instrument(values)})


def _instrument(values: dict[str, str]) -> dict[str, str]:
    """The instrument fields typed, with only those its asset class takes."""
    fields = INSTRUMENT_FIELDS + CLASS_FIELDS.get(values.get("asset_class", ""), ())
    return {name: values[name] for name in fields if name in values}


def execution_edit(current: Execution, values: dict[str, str]) -> ExecutionEdit:
    """The fields of the edit form that differ from the fill as it is, and only those.

    Raises ValidationError naming the fields refused (a blank number or time among them)."""
    typed: dict[str, Any] = {name: values.get(name) for name in EDIT_FIELDS}
    if "executed_at" in values:
        typed["executed_at"] = in_utc(values["executed_at"])
    missing = [
        {"type": "missing", "loc": (name,), "input": None}
        for name in REQUIRED_EDIT_FIELDS
        if name not in values
    ]
    if missing:
        raise ValidationError.from_exception_data("ExecutionEdit", missing)  # type: ignore[arg-type]
    wanted = ExecutionEdit.model_validate(typed)
    changed = {
        name: getattr(wanted, name)
        for name in EDIT_FIELDS
        if getattr(wanted, name) != getattr(current, name)
    }
    return ExecutionEdit.model_validate(changed)


def _refusals(exc: EdgeProblemError) -> list[ProblemField]:
    return exc.problem.errors or [
        ProblemField(location="form", message=exc.problem.detail or exc.problem.title)
    ]


def _by_field(errors: list[ProblemField], fields: tuple[str, ...]) -> dict[str, Any]:
    """Messages by form field, and the rest (an instrument's missing parts as the asset
    class's) as `form_errors`."""
    by_field = errors_by_field(errors)
    if "instrument" in by_field:
        by_field.setdefault("asset_class", by_field.pop("instrument"))
    return {
        "errors": {name: message for name, message in by_field.items() if name in fields},
        "form_errors": [message for name, message in by_field.items() if name not in fields],
    }


async def _trade_form_context(edge: EdgeClient, browser: BrowserContext) -> dict[str, Any]:
    accounts = await edge.get(browser, "/api/v1/accounts", AccountList)
    return {"accounts": accounts.items}


async def _entry_page(
    request: Request, browser: BrowserContext, edge: EdgeClient, template: str
) -> HTMLResponse:
    chosen = read_query(request, AccountChoice)
    context, user = await asyncio.gather(
        _trade_form_context(edge, browser), signed_in_trader(edge, browser)
    )
    return render(
        request,
        template,
        {**context, "user": user, "values": chosen.params(), "errors": {}, "form_errors": []},
    )


@router.get("/trades/new", response_class=HTMLResponse)
async def new_trade_page(request: Request, browser: Browser, edge: Edge) -> HTMLResponse:
    """The add-a-trade form, for the chosen account when one is."""
    return await _entry_page(request, browser, edge, "trade_new.html")


async def _enter(
    edge: EdgeClient, browser: BrowserContext, path: str, body: RequestBody
) -> tuple[httpx.Response | None, list[ProblemField], int]:
    """Sends what the trader entered: edge's answer, or the refusals and their status."""
    try:
        return await edge.send(browser, "POST", path, body=body), [], 201
    except EdgeProblemError as exc:
        return None, _refusals(exc), exc.problem.status
    except EdgeUnavailableError:
        return None, [ProblemField(location="form", message=UNREACHABLE)], 502


@router.post("/trades/new", response_class=HTMLResponse)
async def add_trade(request: Request, browser: Browser, edge: Edge) -> Response:
    """HTMX: enter a round trip by hand and open its position, or show the refusals."""
    values = form_values(await request.form(), TRADE_FIELDS)
    try:
        body = position_create(values)
    except ValidationError as exc:
        errors, status = field_errors(exc), 422
    else:
        answer, errors, status = await _enter(edge, browser, "/api/v1/positions", body)
        if answer is not None:
            position = parse(answer, PositionDetail)
            return Response(status_code=204, headers={"hx-redirect": f"/positions/{position.id}"})
    context = await _trade_form_context(edge, browser)
    return render(
        request,
        "fragments/trade_form.html",
        {**context, "values": values, **_by_field(errors, TRADE_FIELDS)},
        status_code=status,
    )


@router.get("/trades/new/fill", response_class=HTMLResponse)
async def new_fill_page(request: Request, browser: Browser, edge: Edge) -> HTMLResponse:
    """The add-a-fill form, for the chosen account when one is."""
    return await _entry_page(request, browser, edge, "fill_new.html")


@router.post("/trades/new/fill", response_class=HTMLResponse)
async def add_fill(request: Request, browser: Browser, edge: Edge) -> Response:
    """HTMX: enter one fill by hand and open the position it went into (the trades page
    when it is in none), or show the refusals by field."""
    values = form_values(await request.form(), FILL_FIELDS)
    context = await _trade_form_context(edge, browser)
    try:
        body = execution_create(values, context["accounts"])
    except ValidationError as exc:
        errors, status = field_errors(exc), 422
    else:
        answer, errors, status = await _enter(edge, browser, "/api/v1/executions", body)
        if answer is not None:
            fill = parse(answer, Execution)
            target = f"/positions/{fill.position_id}" if fill.position_id else "/trades"
            return Response(status_code=204, headers={"hx-redirect": target})
    return render(
        request,
        "fragments/fill_form.html",
        {**context, "values": values, **_by_field(errors, FILL_FIELDS)},
        status_code=status,
    )


async def _fill(
    edge: EdgeClient, browser: BrowserContext, position_id: UUID, execution_id: UUID
) -> Execution | None:
    position = await edge.get(browser, f"/api/v1/positions/{position_id}", PositionDetail)
    return next((fill for fill in position.executions if fill.id == execution_id), None)


def _no_fill(request: Request) -> Response:
    return error_response(request, 404, "Not found", "This position has no such fill.")


def _reload(position_id: UUID) -> Response:
    return Response(status_code=204, headers={"hx-redirect": f"/positions/{position_id}"})


@router.post("/positions/{position_id}/executions/{execution_id}", response_class=HTMLResponse)
async def edit_fill(
    request: Request, position_id: UUID, execution_id: UUID, browser: Browser, edge: Edge
) -> Response:
    """HTMX: save the fields of a fill the trader changed; the page reloads, or the form
    comes back with the refusals by field."""
    execution = await _fill(edge, browser, position_id, execution_id)
    if execution is None:
        return _no_fill(request)
    form = await request.form()
    values = form_values(form, EDIT_FIELDS)
    try:
        body = execution_edit(execution, values)
    except ValidationError as exc:
        errors, status = field_errors(exc), 422
    else:
        if not body.model_fields_set:
            return _reload(position_id)
        try:
            await edge.send(browser, "PATCH", f"/api/v1/executions/{execution_id}", body=body)
        except EdgeProblemError as exc:
            errors, status = _refusals(exc), exc.problem.status
        except EdgeUnavailableError:
            errors, status = [ProblemField(location="form", message=UNREACHABLE)], 502
        else:
            return _reload(position_id)
    return render(
        request,
        "fragments/execution_edit.html",
        {
            "position_id": position_id,
            "execution": execution,
            # Shown as typed, blanks too, rather than the fill's values.
            "values": {name: str(form.get(name, "")) for name in EDIT_FIELDS},
            "open": True,
            **_by_field(errors, EDIT_FIELDS),
        },
        status_code=status,
    )


@router.post("/positions/{position_id}/executions/{execution_id}/revert")
async def revert_field(
    request: Request, position_id: UUID, execution_id: UUID, browser: Browser, edge: Edge
) -> Response:
    """HTMX: take one edited field of a fill back to what its source reported."""
    execution = await _fill(edge, browser, position_id, execution_id)
    field = (await request.form()).get("field")
    edited = {edit.field for edit in execution.edits} if execution is not None else set()
    if execution is None or field not in edited:
        return _no_fill(request)
    body = ExecutionEdit.model_validate({"revert": [field]})
    await edge.send(browser, "PATCH", f"/api/v1/executions/{execution_id}", body=body)
    return _reload(position_id)


@router.post("/positions/{position_id}/executions/{execution_id}/delete")
async def delete_fill(
    position_id: UUID, execution_id: UUID, browser: Browser, edge: Edge
) -> Response:
    """HTMX, after a confirmation: delete a fill. The page reloads; when the position went
    with its opening fill, the trades page opens."""
    await edge.send(browser, "DELETE", f"/api/v1/executions/{execution_id}")
    try:
        await edge.get(browser, f"/api/v1/positions/{position_id}", PositionDetail)
    except EdgeNotFoundError:
        return Response(status_code=204, headers={"hx-redirect": "/trades"})
    return _reload(position_id)


@router.post("/positions/{position_id}/delete")
async def delete_trade(position_id: UUID, browser: Browser, edge: Edge) -> Response:
    """HTMX, after a confirmation: delete a position with all its fills; the trades page
    opens."""
    await edge.send(browser, "DELETE", f"/api/v1/positions/{position_id}")
    return Response(status_code=204, headers={"hx-redirect": "/trades"})
