"""Errors as RFC 9457 problem details: one base class and one set of handlers."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException
from tradeloop_contracts import PROBLEM_CONTENT_TYPE, Problem, ProblemField

logger = logging.getLogger(__name__)
_INVALID_DETAIL = "Some inputs are missing or invalid; see errors."


@dataclass(frozen=True)
class FieldError:
    """One bad input: where it is (`body.email`, `query.limit`, `form.file`) and what is wrong."""

    location: str
    message: str


class AppError(Exception):
    """An error the caller can act on, rendered as a problem with `status`.

    `keep_changes` commits the request's transaction although the request fails
    (a reused refresh token must stay revoked). `extensions` are extra members of the
    problem (RFC 9457 §3.2), such as where in an expression it went wrong.
    """

    def __init__(
        self,
        status: int,
        title: str,
        detail: str | None = None,
        *,
        errors: Sequence[FieldError] = (),
        headers: dict[str, str] | None = None,
        keep_changes: bool = False,
        extensions: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = list(errors)
        self.headers = headers
        self.keep_changes = keep_changes
        self.extensions = extensions or {}

    def __reduce__(self) -> tuple[object, ...]:
        # Raised in a work process (kit/offload.py), it comes back whole, whatever the
        # subclass's own arguments.
        return (_restore, (type(self), self.args, self.__dict__))


def _restore(cls: type[AppError], args: tuple[object, ...], state: dict[str, object]) -> AppError:
    error = Exception.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class NotFoundError(AppError):
    """The thing does not exist, or belongs to someone else."""

    def __init__(self, what: str) -> None:
        super().__init__(404, "Not found", f"No {what} with that id.")


class UnauthorizedError(AppError):
    """Missing or bad credentials."""

    def __init__(self, detail: str = "Missing or invalid credentials.", **kwargs: Any) -> None:
        super().__init__(
            401, "Unauthorized", detail, headers={"WWW-Authenticate": "Bearer"}, **kwargs
        )


def invalid_request(errors: Sequence[FieldError]) -> AppError:
    """The 422 problem of inputs that are missing or invalid, each named in `errors`."""
    return AppError(422, "Invalid request", _INVALID_DETAIL, errors=errors)


def problem_response(
    status: int,
    title: str,
    detail: str | None = None,
    errors: Sequence[FieldError] = (),
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    extensions: dict[str, Any] | None = None,
) -> JSONResponse:
    """A `Problem` body with the problem+json media type."""
    body = Problem(
        title=title,
        status=status,
        detail=detail,
        instance=instance,
        errors=[ProblemField(location=error.location, message=error.message) for error in errors],
        **(extensions or {}),
    )
    return JSONResponse(
        body.model_dump(mode="json", exclude_none=True),
        status_code=status,
        media_type=PROBLEM_CONTENT_TYPE,
        headers=headers,
    )


def validation_errors(errors: Sequence[Any], prefix: str | None = None) -> list[FieldError]:
    """Pydantic error dicts as field errors located by dotted path (`body.email`)."""
    found = []
    for error in errors:
        parts = [str(part) for part in error.get("loc", ())]
        if prefix:
            parts.insert(0, prefix)
        found.append(FieldError(".".join(parts) or "body", str(error.get("msg", "invalid"))))
    return found


def install_error_handlers(app: FastAPI) -> None:
    """Renders every error, expected or not, as a problem; never a stack trace."""

    async def on_app_error(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, AppError)
        return problem_response(
            error.status,
            error.title,
            error.detail,
            error.errors,
            instance=request.url.path,
            headers=error.headers,
            extensions=error.extensions,
        )

    async def on_validation_error(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError | ValidationError)
        return problem_response(
            422,
            "Invalid request",
            _INVALID_DETAIL,
            validation_errors(error.errors()),
            instance=request.url.path,
        )

    async def on_http_error(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, HTTPException)
        return problem_response(
            error.status_code,
            _title(error.status_code),
            str(error.detail) if error.detail else None,
            instance=request.url.path,
            headers=dict(error.headers) if error.headers else None,
        )

    async def on_unexpected_error(request: Request, error: Exception) -> JSONResponse:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        del error
        return problem_response(500, "Internal Server Error", instance=request.url.path)

    app.add_exception_handler(AppError, on_app_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(HTTPException, on_http_error)
    app.add_exception_handler(Exception, on_unexpected_error)


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
