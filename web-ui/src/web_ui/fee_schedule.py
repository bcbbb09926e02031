"""An account's fee schedule: the costs core gives fills whose export reported none.

The account page loads the section after the page. The editor shows one row per rule and
two blank rows; a row left blank or marked for removal is not sent. Refusals (web-ui's or
core's `body.rules.N.field`) are shown on the row's field they name.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData
from tradeloop_contracts import FeeSchedule, FeeScheduleUpdate, ProblemField

from web_ui.browser import Browser
from web_ui.edge import Edge, EdgeProblemError, EdgeUnavailableError, parse
from web_ui.forms import field_errors
from web_ui.rendering import render

router = APIRouter()

ASSET_CLASSES = ("stock", "option", "future", "future_option", "forex", "crypto")
AMOUNTS = ("per_contract", "per_share", "per_order", "minimum")
BLANK_ROWS = 2
# Rows a form may carry at most: core takes 200 rules.
MAX_ROWS = 200 + BLANK_ROWS


@router.get("/settings/accounts/{account_id}/fee-schedule", response_class=HTMLResponse)
async def fee_schedule_section(
    request: Request, account_id: UUID, browser: Browser, edge: Edge
) -> Response:
    """The account's fee schedule and its editor."""
    schedule = await edge.get(browser, _path(account_id), FeeSchedule)
    return _section(request, schedule, _rows_of(schedule))


@router.post("/settings/accounts/{account_id}/fee-schedule", response_class=HTMLResponse)
async def save_fee_schedule(
    request: Request, account_id: UUID, browser: Browser, edge: Edge
) -> Response:
    """Save the rules; core prices the fills they apply to again."""
    rows = _rows_typed(await request.form())
    sent = [index for index, row in enumerate(rows) if not _left_out(row)]
    errors: list[ProblemField] = []
    status = 422
    try:
        body = FeeScheduleUpdate.model_validate({"rules": [_rule(rows[index]) for index in sent]})
    except ValidationError as exc:
        errors = field_errors(exc)
    else:
        try:
            answer = await edge.send(browser, "PUT", _path(account_id), body=body)
        except EdgeProblemError as exc:
            status = exc.problem.status
            errors = exc.problem.errors or [
                ProblemField(location="form", message=exc.problem.detail or exc.problem.title)
            ]
        except EdgeUnavailableError:
            status = 502
            errors = [ProblemField(location="form", message="Not saved: try again.")]
        else:
            saved = parse(answer, FeeSchedule)
            notice = "Saved. Fills without reported costs are priced again."
            return _section(request, saved, _rows_of(saved), notice=notice)
    current = await edge.get(browser, _path(account_id), FeeSchedule)
    return _section(request, current, rows, _by_row_field(errors, sent), status)


def _path(account_id: UUID) -> str:
    return f"/api/v1/accounts/{account_id}/fee-schedule"


def _section(
    request: Request,
    schedule: FeeSchedule,
    rows: list[dict[str, str]],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    notice: str | None = None,
) -> HTMLResponse:
    errors = errors or {}
    return render(
        request,
        "fragments/fee_schedule.html",
        {
            "schedule": schedule,
            "rows": rows + [{} for _ in range(BLANK_ROWS)],
            "asset_classes": ASSET_CLASSES,
            "amounts": AMOUNTS,
            "fields": ("root", *AMOUNTS),
            "errors": errors,
            "form_errors": [message for name, message in errors.items() if name == "form"],
            "notice": notice,
        },
        status_code=status_code,
    )


def _rows_of(schedule: FeeSchedule) -> list[dict[str, str]]:
    return [
        {
            "asset_class": rule.asset_class,
            "root": rule.root or "",
            **{name: str(getattr(rule, name)) for name in AMOUNTS},
        }
        for rule in schedule.rules
    ]


def _rows_typed(form: FormData) -> list[dict[str, str]]:
    """The editor's rows in index order, each field stripped."""
    rows: list[dict[str, str]] = []
    for index in range(MAX_ROWS):
        row = {
            name: value.strip()
            for name in ("asset_class", "root", "remove", *AMOUNTS)
            if isinstance(value := form.get(f"rules-{index}-{name}"), str)
        }
        if not row:
            break
        rows.append(row)
    return rows


def _left_out(row: dict[str, str]) -> bool:
    blank = not any(row.get(name) for name in ("root", *AMOUNTS))
    return blank or bool(row.get("remove"))


def _rule(row: dict[str, str]) -> dict[str, Any]:
    fields = {name: row[name] for name in AMOUNTS if row.get(name)}
    return {"asset_class": row.get("asset_class"), "root": row.get("root") or None, **fields}


def _by_row_field(errors: list[ProblemField], sent: list[int]) -> dict[str, str]:
    """Each message by the editor field it names (`rules-3-root`), `form` for the rest."""
    by_field: dict[str, str] = {}
    for error in errors:
        parts = error.location.removeprefix("body.").split(".")
        if len(parts) == 3 and parts[0] == "rules" and parts[1].isdigit():
            if int(parts[1]) < len(sent):
                by_field.setdefault(f"rules-{sent[int(parts[1])]}-{parts[2]}", error.message)
                continue
        by_field.setdefault("form", error.message)
    return by_field
