"""RFC 9457 problem responses, the only error shape the edge sends."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Mapping, Sequence

from pydantic import ValidationError
from redis.exceptions import RedisError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from tradeloop_contracts import PROBLEM_CONTENT_TYPE, Problem, ProblemField

log = logging.getLogger(__name__)

# Failures of the session, key and bucket stores: the edge cannot vouch for anyone now.
STORE_ERRORS = (RedisError, sqlite3.Error, OSError)

_TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Invalid request body",
    429: "Too many requests",
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service unavailable",
    504: "Gateway timeout",
}


class AppError(Exception):
    """An error the client should see as a problem with this status and detail."""

    def __init__(self, status: int, detail: str, *, errors: Sequence[ProblemField] = ()) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = list(errors)


def problem_response(
    status: int,
    detail: str | None = None,
    *,
    errors: Sequence[ProblemField] = (),
    headers: Mapping[str, str] | None = None,
) -> Response:
    """A `application/problem+json` response with a standard title for `status`."""
    problem = Problem(
        title=_TITLES.get(status, "Error"), status=status, detail=detail, errors=list(errors)
    )
    return Response(
        problem.model_dump_json(exclude_none=True),
        status_code=status,
        media_type=PROBLEM_CONTENT_TYPE,
        headers=headers,
    )


async def send_problem(
    scope: Scope, receive: Receive, send: Send, status: int, detail: str
) -> None:
    """Answer an ASGI HTTP request with a problem (for use inside middleware)."""
    await problem_response(status, detail)(scope, receive, send)


def validation_problems(exc: ValidationError) -> list[ProblemField]:
    """Each invalid field of a JSON body as a JSON pointer and a message (never the value)."""
    fields = []
    for error in exc.errors(include_input=False, include_url=False):
        pointer = "/" + "/".join(str(part) for part in error["loc"]) if error["loc"] else ""
        fields.append(ProblemField(location=pointer, message=error["msg"]))
    return fields


async def app_error_handler(_request: Request, exc: Exception) -> Response:
    """Render an AppError as its problem."""
    assert isinstance(exc, AppError)
    return problem_response(exc.status, exc.detail, errors=exc.errors)


async def http_error_handler(_request: Request, exc: Exception) -> Response:
    """Render Starlette's own HTTP errors (404, 405) as problems."""
    status = getattr(exc, "status_code", 500)
    return problem_response(status, getattr(exc, "detail", None))


class UnexpectedErrorMiddleware:
    """Answers a failure no handler caught with a problem, never a stack trace: 503 with
    `Retry-After` when a store is unreachable, 500 otherwise.

    It sits inside the security-headers middleware (Starlette's own last-resort handler sits
    outside every middleware), so these answers carry the headers like any other. The
    failure itself goes to the log.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if started:
                raise  # half an answer is out: only dropping the connection is left
            if isinstance(exc, STORE_ERRORS):
                log.exception("a store is unreachable")
                response = problem_response(
                    503,
                    "The edge cannot reach its session store; retry shortly.",
                    headers={"retry-after": "5"},
                )
            else:
                log.exception("request failed")
                response = problem_response(500, "The edge failed to handle this request.")
            await response(scope, receive, send)
