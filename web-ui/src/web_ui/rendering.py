"""Jinja2 templates, the filters pages use, and HTML responses that negotiate errors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2
import jinja2.runtime
import nh3
from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.templating import Jinja2Templates
from markdown_it import MarkdownIt
from markupsafe import Markup
from tradeloop_contracts import PROBLEM_CONTENT_TYPE, Problem, ProblemField, User
from tradeloop_contracts.telemetry import bind_user

from web_ui.browser import BrowserContext

PACKAGE_DIR = Path(__file__).resolve().parent

# Raw HTML in a journal body stays text; nh3 then removes anything unsafe that markdown
# itself can produce (links with odd schemes, attributes).
_markdown = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


def markdown_html(source: str) -> Markup:
    """The markdown `source` as sanitised HTML, safe to place in a page."""
    return Markup(nh3.clean(_markdown.render(source)))


def money(value: Decimal | None, currency: str | None = None) -> str:
    """An amount with sign, thousands separators and two decimals, or an em dash."""
    if value is None:
        return "—"
    text = f"{value:+,.2f}" if value != 0 else "0.00"
    return f"{text} {currency}" if currency else text


def amount(value: Decimal | None, currency: str | None = None) -> str:
    """A cost or size without a sign (fees), with separators and two decimals."""
    return "—" if value is None else money(abs(value), currency).lstrip("+")


def drawdown(value: Decimal | None, currency: str | None = None) -> str:
    """A drawdown as a loss from the peak, whichever sign it is reported with."""
    return "—" if value is None else money(-abs(value), currency)


def number(value: Decimal | None) -> str:
    """A price or quantity exactly as precise as it is, without trailing zeros."""
    if value is None:
        return "—"
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def percent(value: Decimal | None) -> str:
    """A 0..1 ratio as a percentage with one decimal, or an em dash."""
    return "—" if value is None else f"{value * 100:.1f}%"


def ratio(value: Decimal | None) -> str:
    """A ratio with two decimals, or an em dash."""
    return "—" if value is None else f"{value:.2f}"


def when(value: dt.datetime | dt.date | None, time_zone: str = "UTC") -> str:
    """A date, or a time to the minute in `time_zone` (an IANA name) with the zone's
    abbreviation, or an em dash. An unknown zone falls back to UTC."""
    if value is None:
        return "—"
    if isinstance(value, dt.datetime):
        try:
            zone: dt.tzinfo = ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            zone = dt.UTC
        return value.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
    return value.isoformat()


def utc_local(value: dt.datetime) -> str:
    """A moment as a `datetime-local` input's value in UTC, to the second."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")


def duration(seconds: int | None) -> str:
    """A holding time such as `2d 3h`, `1h 5m` or `42s`, or an em dash."""
    if seconds is None:
        return "—"
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    if minutes:
        return f"{minutes}m {secs}s"
    return f"{secs}s"


def sign_class(value: Decimal | None) -> str:
    """The CSS class that colours a P&L: gain, loss or flat."""
    if value is None or value == 0:
        return "flat"
    return "gain" if value > 0 else "loss"


def chosen_account(request: Request) -> UUID | None:
    """The account the address chose (`account_id`), None for all accounts or a malformed id
    (the page's own filters refuse that one)."""
    try:
        return UUID(request.query_params.get("account_id", ""))
    except ValueError:
        return None


@jinja2.pass_context
def with_account(context: jinja2.runtime.Context, href: str) -> str:
    """`href` keeping the page's chosen account, so moving between pages keeps the view."""
    chosen = context.get("chosen_account")
    if chosen is None:
        return href
    return f"{href}{'&' if '?' in href else '?'}{urlencode({'account_id': str(chosen)})}"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(PACKAGE_DIR / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        markdown=markdown_html,
        money=money,
        amount=amount,
        drawdown=drawdown,
        number=number,
        percent=percent,
        ratio=ratio,
        when=when,
        utc_local=utc_local,
        duration=duration,
        sign_class=sign_class,
        with_account=with_account,
    )
    return env


def _page_context(request: Request) -> dict[str, Any]:
    browser = BrowserContext.from_request(request)
    return {
        "csp_nonce": browser.csp_nonce,
        "csrf_token": browser.csrf_token,
        "current_path": request.url.path,
        "chosen_account": chosen_account(request),
    }


templates = Jinja2Templates(env=_environment(), context_processors=[_page_context])


def render(
    request: Request,
    name: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """The template `name` rendered for this request, never cached by the browser."""
    context = dict(context or {})
    if isinstance(user := context.get("user"), User):
        # Pages ask for the trader concurrently with their other calls, in a task of its
        # own; naming the trader here puts the id on this request's own log lines too.
        bind_user(user.id)
    response = templates.TemplateResponse(
        request, name, context, status_code=status_code, headers=headers
    )
    response.headers["cache-control"] = "no-store"
    return response


def wants_html(request: Request) -> bool:
    """True for browsers and HTMX; False for API-style clients that want problem+json."""
    accept = request.headers.get("accept", "")
    return request.headers.get("hx-request") == "true" or "text/html" in accept


def error_response(
    request: Request,
    status_code: int,
    title: str,
    detail: str | None = None,
    errors: list[ProblemField] | None = None,
) -> Response:
    """An error page (or fragment for HTMX), or an RFC 9457 problem for non-browser clients."""
    problem = Problem(
        title=title,
        status=status_code,
        detail=detail,
        instance=request.url.path,
        errors=errors or [],
    )
    if not wants_html(request):
        return JSONResponse(
            problem.model_dump(mode="json", exclude_none=True),
            status_code=status_code,
            media_type=PROBLEM_CONTENT_TYPE,
        )
    name = "fragments/problem.html" if request.headers.get("hx-request") else "error.html"
    return render(request, name, {"problem": problem}, status_code=status_code)
