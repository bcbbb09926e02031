"""Errors as RFC 9457 problem details; no stack trace ever reaches a caller."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ai_coach.contracts.problem import Problem, ProblemField

PROBLEM_CONTENT_TYPE = "application/problem+json"
logger = logging.getLogger(__name__)


class AppError(Exception):
    """An error with the status and title its problem response carries."""

    status = 500
    title = "Internal Server Error"
    headers: dict[str, str] = {}

    def __init__(self, detail: str, errors: list[ProblemField] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors


class UnauthenticatedError(AppError):
    """The bearer token is missing, malformed, forged, expired or not for this API."""

    status = 401
    title = "Unauthorized"
    headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'}


class ForbiddenError(AppError):
    """The caller is authenticated but may not use this route."""

    status = 403
    title = "Forbidden"


class IssuerUnavailableError(AppError):
    """The issuer's keys cannot be fetched and none are cached."""

    status = 503
    title = "Service Unavailable"


class InvalidInputError(AppError):
    """The request is well-formed but its values do not fit together."""

    status = 422
    title = "Unprocessable Content"


class NotFoundError(AppError):
    """What the request names is not the trader's (another trader's account id)."""

    status = 404
    title = "Not Found"


class CoreUnavailableError(AppError):
    """core did not answer, or answered in a way ai-coach cannot use."""

    status = 502
    title = "Bad Gateway"


def problem_response(
    status: int,
    title: str,
    detail: str | None,
    instance: str,
    errors: list[ProblemField] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """A `application/problem+json` response."""
    problem = Problem(status=status, title=title, detail=detail, instance=instance, errors=errors)
    return JSONResponse(
        problem.model_dump(mode="json", exclude_none=True),
        status_code=status,
        media_type=PROBLEM_CONTENT_TYPE,
        headers=headers,
    )


def _location(parts: tuple[int | str, ...]) -> str:
    # A JSON pointer for body fields; "query/limit" style for the other places.
    if parts and parts[0] == "body":
        return "/" + "/".join(str(part) for part in parts[1:])
    return "/".join(str(part) for part in parts)


async def unexpected_error(request: Request, error: Exception) -> JSONResponse:
    """The 500 problem of an unhandled error, logged with its traceback (never sent)."""
    logger.exception("unhandled error on %s", request.url.path, exc_info=error)
    return problem_response(500, "Internal Server Error", None, request.url.path)


def install_error_handlers(app: FastAPI) -> None:
    """Renders AppError, HTTP errors and validation errors as problems (unhandled errors:
    `unexpected_error`, in a ServerErrorMiddleware of the app's own)."""

    async def on_app_error(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, AppError)
        return problem_response(
            error.status,
            error.title,
            error.detail,
            request.url.path,
            error.errors,
            headers=error.headers,
        )

    async def on_http_error(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, StarletteHTTPException)
        return problem_response(
            error.status_code,
            _reason(error.status_code),
            str(error.detail),
            request.url.path,
            headers=error.headers,
        )

    async def on_validation_error(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        fields = [
            ProblemField(location=_location(tuple(item["loc"])), message=str(item["msg"]))
            for item in error.errors()
        ]
        return problem_response(
            422, "Unprocessable Content", "The request is invalid.", request.url.path, fields
        )

    app.add_exception_handler(AppError, on_app_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
