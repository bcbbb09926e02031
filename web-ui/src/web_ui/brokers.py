"""Broker connections (settings): connect an Alpaca key pair, see status and last sync,
disconnect. Secrets are sent to edge once and never shown back, not even after a refusal."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from tradeloop_contracts import (
    AccountList,
    BrokerConnection,
    BrokerConnectionCreate,
    BrokerConnectionList,
    ProblemField,
)

from web_ui.auth import signed_in_trader
from web_ui.browser import Browser, BrowserContext
from web_ui.edge import Edge, EdgeClient, EdgeProblemError, EdgeUnavailableError, parse
from web_ui.forms import errors_by_field, field_errors, form_values
from web_ui.rendering import render

router = APIRouter()

# Shown back after a refusal; the key pair never is.
PLAIN_FIELDS = ("label", "account_id", "environment")
SECRET_FIELDS = ("api_key_id", "api_secret")
STATUS_TEXT = {
    "active": "Connected",
    "broken": "Needs attention",
    "revoked": "Disconnected",
}


async def _page_data(edge: EdgeClient, browser: BrowserContext) -> dict[str, Any]:
    connections, accounts, user = await asyncio.gather(
        edge.get(browser, "/api/v1/broker-connections", BrokerConnectionList),
        edge.get(browser, "/api/v1/accounts", AccountList),
        signed_in_trader(edge, browser),
    )
    return {
        "connections": connections.items,
        "accounts": accounts.items,
        "account_names": {account.id: account.name for account in accounts.items},
        "user": user,
        "status_text": STATUS_TEXT,
    }


def _section(
    request: Request,
    data: dict[str, Any],
    *,
    values: dict[str, str] | None = None,
    errors: list[ProblemField] | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    placed = {
        name: message
        for name, message in errors_by_field(errors or []).items()
        if name in PLAIN_FIELDS + SECRET_FIELDS
    }
    context = {
        **data,
        "values": values or {},
        "errors": placed,
        "form_errors": [e.message for e in errors or [] if e.message not in placed.values()],
        "notice": notice,
    }
    return render(request, "fragments/broker_connections.html", context, status_code=status_code)


@router.get("/settings/brokers", response_class=HTMLResponse)
async def broker_connections(request: Request, browser: Browser, edge: Edge) -> HTMLResponse:
    """Every broker connection with its status and last sync, and the connect form."""
    return render(request, "brokers.html", await _page_data(edge, browser))


@router.post("/settings/brokers", response_class=HTMLResponse)
async def connect_broker(request: Request, browser: Browser, edge: Edge) -> HTMLResponse:
    """Connect an Alpaca account with its API key pair."""
    form = await request.form()
    values = form_values(form, PLAIN_FIELDS)
    # Keys are kept exactly as pasted, and only for this one call.
    secrets = {name: value for name in SECRET_FIELDS if isinstance(value := form.get(name), str)}
    missing = [
        ProblemField(location=name, message="This field is required")
        for name in SECRET_FIELDS
        if not secrets.get(name, "").strip()
    ]
    try:
        body = BrokerConnectionCreate.model_validate({"broker": "alpaca", **values, **secrets})
    except ValidationError as exc:
        errors = field_errors(exc) + missing
        return _section(
            request, await _page_data(edge, browser), values=values, errors=errors, status_code=422
        )
    if missing:
        return _section(
            request, await _page_data(edge, browser), values=values, errors=missing, status_code=422
        )
    try:
        answer = await edge.send(browser, "POST", "/api/v1/broker-connections", body=body)
    except EdgeProblemError as exc:
        errors = exc.problem.errors or [
            ProblemField(location="form", message=exc.problem.detail or exc.problem.title)
        ]
        data = await _page_data(edge, browser)
        return _section(request, data, values=values, errors=errors, status_code=exc.problem.status)
    except EdgeUnavailableError:
        unreachable = ProblemField(
            location="form", message="Not connected: Tradeloop could not be reached. Try again."
        )
        data = await _page_data(edge, browser)
        return _section(request, data, values=values, errors=[unreachable], status_code=502)
    created = parse(answer, BrokerConnection)
    data = await _page_data(edge, browser)
    if all(connection.id != created.id for connection in data["connections"]):
        data["connections"] = [created, *data["connections"]]
    notice = f"Connected {created.label}. The first sync starts shortly."
    return _section(request, data, notice=notice, status_code=201)


@router.post("/settings/brokers/{connection_id}/disconnect", response_class=HTMLResponse)
async def disconnect_broker(
    request: Request, connection_id: UUID, browser: Browser, edge: Edge
) -> HTMLResponse:
    """Disconnect: core destroys the stored keys and syncing stops."""
    await edge.send(browser, "DELETE", f"/api/v1/broker-connections/{connection_id}")
    return _section(request, await _page_data(edge, browser), notice="Disconnected.")
