"""The journal: one entry per day with guided prompts, and a month calendar to move around."""

from __future__ import annotations

import asyncio
import calendar as cal
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from tradeloop_contracts import (
    AccountList,
    JournalEntry,
    JournalEntryCreate,
    JournalEntryPage,
    JournalEntryUpdate,
    PositionPage,
    ProblemField,
    Statistics,
    User,
)

from web_ui import charts
from web_ui.auth import signed_in_trader
from web_ui.browser import Browser, BrowserContext
from web_ui.edge import Edge, EdgeClient, EdgeProblemError, EdgeUnavailableError, parse
from web_ui.filters import AccountChoice, read_query
from web_ui.forms import errors_by_field, field_errors, form_values
from web_ui.rendering import error_response, render

router = APIRouter()

WENT_WELL = "## What went well"
TO_CHANGE = "## What to change"
FIELDS = ("notes", "went_well", "to_change", "mood")


def compose(notes: str, went_well: str, to_change: str) -> str:
    """The markdown body of a day's entry: free notes, then each answered prompt under its
    heading."""
    parts = [notes.strip()] if notes.strip() else []
    for heading, answer in ((WENT_WELL, went_well), (TO_CHANGE, to_change)):
        if answer.strip():
            parts.append(f"{heading}\n\n{answer.strip()}")
    return "\n\n".join(parts)


def split(body: str) -> dict[str, str]:
    """The form fields of a body written by `compose`; anything else stays in the notes."""
    sections = {"notes": "", "went_well": "", "to_change": ""}
    current = "notes"
    lines: dict[str, list[str]] = {name: [] for name in sections}
    for line in body.splitlines():
        if line.strip() == WENT_WELL:
            current = "went_well"
        elif line.strip() == TO_CHANGE:
            current = "to_change"
        else:
            lines[current].append(line)
    return {name: "\n".join(found).strip() for name, found in lines.items()}


def today_of(user: User) -> dt.date:
    """Today in the trader's time zone (UTC when the zone is unknown)."""
    try:
        zone: dt.tzinfo = ZoneInfo(user.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = dt.UTC
    return dt.datetime.now(zone).date()


@dataclass(frozen=True)
class CalendarDay:
    day: dt.date
    pnl: Decimal | None
    trades: int


@dataclass(frozen=True)
class MonthView:
    """A month as weeks of days (None outside the month), with its neighbours."""

    first: dt.date
    weeks: list[list[CalendarDay | None]]
    previous: dt.date
    next: dt.date

    def traded_on(self, day: dt.date) -> bool:
        """True when positions closed on `day` (a day of this month)."""
        return any(
            cell is not None and cell.day == day and cell.trades for w in self.weeks for cell in w
        )


async def month_view(
    edge: EdgeClient, browser: BrowserContext, month: dt.date, chosen: AccountChoice
) -> MonthView:
    """The month containing `month`, each day with its net P&L (of the chosen account) from
    edge's statistics."""
    first = month.replace(day=1)
    last = first.replace(day=cal.monthrange(first.year, first.month)[1])
    stats = await edge.get(
        browser,
        "/api/v1/statistics",
        Statistics,
        params={"start": first.isoformat(), "end": last.isoformat(), **chosen.params()},
    )
    by_day = {entry.day: entry for entry in stats.calendar}
    weeks: list[list[CalendarDay | None]] = []
    for week in cal.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month):
        row: list[CalendarDay | None] = []
        for day in week:
            entry = by_day.get(day)
            row.append(
                CalendarDay(day, entry.net_pnl if entry else None, entry.trades if entry else 0)
                if day.month == first.month
                else None
            )
        weeks.append(row)
    return MonthView(first, weeks, charts.shift_month(first, -1), charts.shift_month(first, 1))


def _month_of(value: str | None, fallback: dt.date) -> dt.date | None:
    if not value:
        return fallback.replace(day=1)
    try:
        return dt.date.fromisoformat(f"{value}-01")
    except ValueError:
        return None


@router.get("/journal", response_class=HTMLResponse)
async def journal(request: Request, browser: Browser, edge: Edge) -> Response:
    """The journal calendar of a month (`?month=YYYY-MM`, this month by default), of one
    account or all."""
    chosen = read_query(request, AccountChoice)
    user, accounts = await asyncio.gather(
        signed_in_trader(edge, browser), edge.get(browser, "/api/v1/accounts", AccountList)
    )
    today = today_of(user)
    month = _month_of(request.query_params.get("month"), today)
    if month is None:
        problem = ProblemField(location="query.month", message="Use a month such as 2026-03")
        return error_response(
            request, 422, "Invalid request", "Some input is not valid.", [problem]
        )
    view = await month_view(edge, browser, month, chosen)
    context = {"user": user, "view": view, "today": today, "day": None, "accounts": accounts.items}
    return render(request, "journal.html", context)


def _values_of(entry: JournalEntry) -> dict[str, str]:
    return {**split(entry.body), "mood": str(entry.mood or ""), "entry_id": str(entry.id)}


def _day_entry(page: JournalEntryPage) -> JournalEntry | None:
    # The day's own entry; reflections on single positions are listed with the position.
    return next((entry for entry in page.items if entry.position_id is None), None)


@router.get("/journal/{day}", response_class=HTMLResponse)
async def journal_day(request: Request, day: dt.date, browser: Browser, edge: Edge) -> HTMLResponse:
    """A day's journal entry with its guided prompts, positions and the month around it, of
    one account or all."""
    chosen = read_query(request, AccountChoice)
    iso = day.isoformat()
    # The day's own entry belongs to no account: it is read unfiltered, so the form edits
    # the one entry of the day rather than starting a second.
    entries, positions, view, user, accounts = await asyncio.gather(
        edge.get(browser, "/api/v1/journal/entries", JournalEntryPage, params={"day": iso}),
        edge.get(
            browser,
            "/api/v1/positions",
            PositionPage,
            params={"start": iso, "end": iso, **chosen.params()},
        ),
        month_view(edge, browser, day, chosen),
        signed_in_trader(edge, browser),
        edge.get(browser, "/api/v1/accounts", AccountList),
    )
    entry = _day_entry(entries)
    values = _values_of(entry) if entry else {}
    return render(
        request,
        "journal.html",
        {
            "user": user,
            "view": view,
            "today": today_of(user),
            "day": day,
            "entry": entry,
            "positions": positions.items,
            "values": values,
            "errors": {},
            "accounts": accounts.items,
            # In one account's view the day's entry shows only on a day it traded.
            "shows_day_entry": chosen.account_id is None
            or bool(positions.items)
            or view.traded_on(day),
        },
    )


def _on_form(errors: list[ProblemField]) -> list[ProblemField]:
    # The body is written in three prompts; a refusal of anything but the mood is shown
    # under the notes, where the body starts.
    return [
        error
        if errors_by_field([error]).keys() == {"mood"}
        else ProblemField(location="notes", message=error.message)
        for error in errors
    ]


def _form(
    request: Request,
    day: dt.date,
    entry: JournalEntry | None,
    user: User | None,
    values: dict[str, str],
    errors: list[ProblemField],
    status_code: int,
) -> HTMLResponse:
    return render(
        request,
        "fragments/journal_day.html",
        {
            "day": day,
            "entry": entry,
            "user": user,
            "values": values,
            "errors": errors_by_field(errors),
        },
        status_code=status_code,
    )


@router.post("/journal/{day}", response_class=HTMLResponse)
async def save_journal_day(
    request: Request, day: dt.date, browser: Browser, edge: Edge
) -> HTMLResponse:
    """Save the day's entry (the first save creates it) and answer with it and its form."""
    values = form_values(await request.form(), (*FIELDS, "entry_id"))
    entry_id = values.get("entry_id")
    body = compose(
        values.get("notes", ""), values.get("went_well", ""), values.get("to_change", "")
    )
    if not body:
        empty = ProblemField(location="notes", message="Write something to save the day's entry")
        return _form(request, day, None, None, values, [empty], 422)
    try:
        change: JournalEntryCreate | JournalEntryUpdate
        if entry_id:
            change = JournalEntryUpdate.model_validate({"body": body, "mood": values.get("mood")})
        else:
            change = JournalEntryCreate.model_validate(
                {"day": day, "body": body, "mood": values.get("mood")}
            )
    except ValidationError as exc:
        errors = [
            ProblemField(
                location="notes" if e.location == "body" else e.location, message=e.message
            )
            for e in field_errors(exc)
        ]
        return _form(request, day, None, None, values, errors, 422)
    try:
        if isinstance(change, JournalEntryUpdate):
            answer = await edge.send(
                browser, "PATCH", f"/api/v1/journal/entries/{entry_id}", body=change
            )
        else:
            answer = await edge.send(browser, "POST", "/api/v1/journal/entries", body=change)
    except EdgeProblemError as exc:
        errors = exc.problem.errors or [
            ProblemField(location="notes", message=exc.problem.detail or exc.problem.title)
        ]
        return _form(request, day, None, None, values, _on_form(errors), exc.problem.status)
    except EdgeUnavailableError:
        unreachable = ProblemField(
            location="notes", message="Not saved: Tradeloop could not be reached. Try again."
        )
        return _form(request, day, None, None, values, [unreachable], 502)
    entry = parse(answer, JournalEntry)
    user = await signed_in_trader(edge, browser)
    return _form(request, day, entry, user, _values_of(entry), [], 200)
