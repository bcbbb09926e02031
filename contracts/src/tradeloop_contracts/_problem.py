"""Errors as RFC 9457 problem details."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from ._base import ResponseBody

PROBLEM_CONTENT_TYPE = "application/problem+json"


class ProblemField(ResponseBody):
    """One invalid input: where it is and what is wrong with it."""

    location: str = Field(
        description="Where the value is: a JSON pointer, a form field, or file:line:field."
    )
    message: str


class Problem(ResponseBody):
    """An error response body (`application/problem+json`)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    type: str = "about:blank"
    title: str
    status: int = Field(ge=100, le=599)
    detail: str | None = None
    instance: str | None = None
    errors: list[ProblemField] = Field(default_factory=list)
