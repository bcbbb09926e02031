"""The column-mapping step of a generic CSV import: the file's first rows, the guessed
mapping, saved mappings of the account, and the resubmission with the chosen mapping."""

from __future__ import annotations

import asyncio
from typing import Any, get_args
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from tradeloop_contracts import (
    ColumnMapping,
    CsvPreview,
    ImportDetail,
    ImportJob,
    MappingField,
    ProblemField,
    SavedColumnMapping,
    SavedColumnMappingCreate,
    SavedColumnMappingList,
    User,
)

from web_ui.auth import signed_in_trader
from web_ui.browser import Browser, BrowserContext
from web_ui.edge import Edge, EdgeClient, EdgeProblemError, EdgeUnavailableError, parse
from web_ui.forms import errors_by_field, field_errors, form_values
from web_ui.rendering import render

router = APIRouter()

FIELDS: tuple[str, ...] = get_args(MappingField)
FIELD_LABELS = {
    "datetime": "Date and time",
    "date": "Date (when time is in its own column)",
    "time": "Time",
    "symbol": "Symbol",
    "side": "Side (buy/sell)",
    "quantity": "Quantity",
    "price": "Price",
    "commission": "Commission",
    "fees": "Fees",
    "id": "Execution id",
    "order_id": "Order id",
    "currency": "Currency",
    "account": "Account",
}
FLAGS = ("day_first", "decimal_comma", "currency_symbols", "parentheses_negative")
TEXT_OPTIONS = ("date_format", "time_zone")


def guessed_values(preview: CsvPreview, saved: SavedColumnMapping | None) -> dict[str, Any]:
    """The form's starting values: a saved mapping's when one applies, else the guesses."""
    if saved is not None:
        mapping = saved.mapping
        return {
            "columns": dict(mapping.columns),
            **{flag: getattr(mapping, flag) for flag in FLAGS},
            **{name: getattr(mapping, name) or "" for name in TEXT_OPTIONS},
        }
    defaults = ColumnMapping.model_construct(columns={})
    return {
        "columns": {guess.field: guess.column for guess in preview.guesses if guess.column},
        **{flag: getattr(defaults, flag) for flag in FLAGS},
        **dict.fromkeys(TEXT_OPTIONS, ""),
    }


def submitted_values(form: Any) -> dict[str, Any]:
    """What the mapping form holds, in the shape `guessed_values` gives."""
    columns = {
        name: value
        for name in FIELDS
        if isinstance(value := form.get(f"column-{name}"), str) and value
    }
    return {
        "columns": columns,
        **{flag: form.get(flag) == "yes" for flag in FLAGS},
        **form_values(form, TEXT_OPTIONS),
    }


async def _step(
    edge: EdgeClient, browser: BrowserContext, import_id: UUID
) -> tuple[ImportDetail, CsvPreview, list[SavedColumnMapping]]:
    job, preview = await asyncio.gather(
        edge.get(browser, f"/api/v1/imports/{import_id}", ImportDetail),
        edge.get(browser, f"/api/v1/imports/{import_id}/preview", CsvPreview),
    )
    saved = await edge.get(
        browser,
        "/api/v1/column-mappings",
        SavedColumnMappingList,
        params={"account_id": str(job.account_id)},
    )
    return job, preview, saved.items


def _page(
    request: Request,
    job: ImportDetail,
    preview: CsvPreview,
    saved: list[SavedColumnMapping],
    values: dict[str, Any],
    errors: list[ProblemField] | None = None,
    status_code: int = 200,
    chosen: UUID | None = None,
    *,
    user: User | None = None,
) -> HTMLResponse:
    """The whole step for a signed-in trader's page, or the form alone (after a refusal)."""
    errors = errors or []
    by_field = errors_by_field(errors)
    placed = set(FIELDS) | set(FLAGS) | set(TEXT_OPTIONS) | {"name"}
    context = {
        "job": job,
        "user": user,
        "preview": preview,
        "saved": saved,
        "chosen": chosen,
        "values": values,
        "errors": by_field,
        "form_errors": [e.message for e in errors if e.location.split(".")[-1] not in placed],
        "fields": FIELDS,
        "labels": FIELD_LABELS,
        "confidence": {guess.field: guess.confidence for guess in preview.guesses},
    }
    name = "fragments/mapping_form.html" if user is None else "import_mapping.html"
    return render(request, name, context, status_code=status_code)


@router.get("/imports/{import_id}/mapping", response_class=HTMLResponse)
async def mapping_step(
    request: Request,
    import_id: UUID,
    browser: Browser,
    edge: Edge,
    mapping_id: UUID | None = None,
) -> HTMLResponse:
    """The file's first rows and the mapping to read it with: guessed, or a saved one."""
    (job, preview, saved), user = await asyncio.gather(
        _step(edge, browser, import_id), signed_in_trader(edge, browser)
    )
    chosen = mapping_id or preview.saved_mapping_id
    applied = next((mapping for mapping in saved if mapping.id == chosen), None)
    values = guessed_values(preview, applied)
    chosen_id = applied.id if applied else None
    return _page(request, job, preview, saved, values, chosen=chosen_id, user=user)


@router.post("/imports/{import_id}/mapping")
async def submit_mapping(
    request: Request, import_id: UUID, browser: Browser, edge: Edge
) -> Response:
    """Import the file again with the chosen mapping, saving it under a name when given."""
    form = await request.form()
    values = submitted_values(form)
    name = form_values(form, ("name",)).get("name")
    try:
        mapping = ColumnMapping.model_validate(
            {key: value for key, value in values.items() if value != ""}
        )
    except ValidationError as exc:
        job, preview, saved = await _step(edge, browser, import_id)
        return _page(request, job, preview, saved, values, field_errors(exc), 422)
    try:
        if name:
            job_now = await edge.get(browser, f"/api/v1/imports/{import_id}", ImportDetail)
            keep = SavedColumnMappingCreate(
                account_id=job_now.account_id, name=name, mapping=mapping
            )
            await edge.send(browser, "POST", "/api/v1/column-mappings", body=keep)
        answer = await edge.send(
            browser, "POST", f"/api/v1/imports/{import_id}/mapping", body=mapping
        )
    except EdgeProblemError as exc:
        errors = exc.problem.errors or [
            ProblemField(location="form", message=exc.problem.detail or exc.problem.title)
        ]
        job, preview, saved = await _step(edge, browser, import_id)
        return _page(request, job, preview, saved, values, errors, exc.problem.status)
    except EdgeUnavailableError:
        unreachable = ProblemField(
            location="form", message="Not sent: Tradeloop could not be reached. Try again."
        )
        job, preview, saved = await _step(edge, browser, import_id)
        return _page(request, job, preview, saved, values, [unreachable], 502)
    parse(answer, ImportJob)
    if request.headers.get("hx-request") == "true":
        return Response(status_code=204, headers={"hx-redirect": "/imports"})
    return RedirectResponse("/imports", status_code=303)
