"""Sign-up, log-in and log-out pages; edge keeps the session, web-ui relays its cookie."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from tradeloop_contracts import LoginRequest, ProblemField, SignupRequest, User
from tradeloop_contracts.telemetry import bind_user

from web_ui.browser import Browser, BrowserContext
from web_ui.edge import (
    Edge,
    EdgeClient,
    EdgeProblemError,
    EdgeUnauthorizedError,
    EdgeUnavailableError,
    parse,
)
from web_ui.forms import errors_by_field, field_errors, form_values
from web_ui.rendering import render

router = APIRouter()

SIGNUP_FIELDS = ("email", "password", "time_zone", "base_currency")
UNREACHABLE = ProblemField(
    location="form", message="Tradeloop could not be reached. Try again in a moment."
)


async def signed_in_trader(edge: EdgeClient, browser: BrowserContext) -> User:
    """The trader of this browser session, named on the log lines that follow; raises
    EdgeUnauthorizedError without one."""
    user = await edge.get(browser, "/api/v1/me", User)
    bind_user(user.id)
    return user


def _form_page(
    request: Request,
    name: str,
    values: dict[str, str],
    errors: list[ProblemField],
    status_code: int,
) -> HTMLResponse:
    # Never echo a password back into the page.
    shown = {field: value for field, value in values.items() if field != "password"}
    # HTMX swaps only the form; a plain visit gets the whole page around it.
    fragment = request.headers.get("hx-request") == "true"
    template = f"fragments/{name}_form.html" if fragment else f"{name}.html"
    return render(
        request,
        template,
        {
            "values": shown,
            "errors": errors_by_field(errors),
            "form_errors": [e.message for e in errors if e.location in ("", "form")],
        },
        status_code=status_code,
    )


def redirect_with_cookies(location: str, set_cookies: list[str]) -> Response:
    """Send htmx to `location`, with the session cookies edge handed out on the way."""
    response = Response(status_code=204, headers={"hx-redirect": location})
    for cookie in set_cookies:
        response.headers.append("set-cookie", cookie)
    return response


@router.get("/signup", response_class=HTMLResponse)
async def signup_page(request: Request) -> HTMLResponse:
    """The sign-up form."""
    return _form_page(request, "signup", {}, [], 200)


@router.post("/signup")
async def signup(request: Request, browser: Browser, edge: Edge) -> Response:
    """Create the account through edge, keep its session cookie and go to the dashboard."""
    values = form_values(await request.form(), SIGNUP_FIELDS)
    try:
        body = SignupRequest.model_validate(values)
    except ValidationError as exc:
        return _form_page(request, "signup", values, field_errors(exc), 422)
    try:
        answer = await edge.send(browser, "POST", "/api/v1/auth/signup", body=body)
    except EdgeProblemError as exc:
        errors = exc.problem.errors or [
            ProblemField(location="form", message=exc.problem.detail or exc.problem.title)
        ]
        return _form_page(request, "signup", values, errors, exc.problem.status)
    except EdgeUnavailableError:
        return _form_page(request, "signup", values, [UNREACHABLE], 502)
    parse(answer, User)
    return redirect_with_cookies("/", answer.headers.get_list("set-cookie"))


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request) -> HTMLResponse:
    """The log-in form."""
    return _form_page(request, "login", {}, [], 200)


@router.post("/login")
async def login(request: Request, browser: Browser, edge: Edge) -> Response:
    """Log in through edge, keep its session cookie and go to the dashboard."""
    values = form_values(await request.form(), ("email", "password"))
    try:
        body = LoginRequest.model_validate(values)
    except ValidationError as exc:
        return _form_page(request, "login", values, field_errors(exc), 422)
    try:
        answer = await edge.send(browser, "POST", "/api/v1/auth/login", body=body)
    except EdgeUnauthorizedError:
        wrong = ProblemField(location="form", message="The email or the password is wrong.")
        return _form_page(request, "login", values, [wrong], 401)
    except EdgeProblemError as exc:
        errors = exc.problem.errors or [
            ProblemField(location="form", message=exc.problem.detail or exc.problem.title)
        ]
        return _form_page(request, "login", values, errors, exc.problem.status)
    except EdgeUnavailableError:
        return _form_page(request, "login", values, [UNREACHABLE], 502)
    parse(answer, User)
    return redirect_with_cookies("/", answer.headers.get_list("set-cookie"))


@router.post("/logout")
async def logout(request: Request, browser: Browser, edge: Edge) -> Response:
    """End the session at edge, relay its cookie removal and go to the log-in page."""
    set_cookies: list[str] = []
    try:
        answer = await edge.send(browser, "POST", "/api/v1/auth/logout")
        set_cookies = answer.headers.get_list("set-cookie")
    except (EdgeUnauthorizedError, EdgeProblemError):
        pass  # no session to end: the log-in page is the right place either way
    response: Response
    if request.headers.get("hx-request") == "true":
        response = Response(status_code=204, headers={"hx-redirect": "/login"})
    else:
        response = RedirectResponse("/login", status_code=303)
    for cookie in set_cookies:
        response.headers.append("set-cookie", cookie)
    return response
