# Generated from tradeloop-contracts-schemas-1.6.0.tar.gz (responses/Problem.json) by
# tools/generate_contracts.py with datamodel-code-generator. Do not edit by hand:
# change the pinned version in pyproject.toml and run `make generate`.

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class ProblemField(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    location: Annotated[
        str,
        Field(
            description="Where the value is: a JSON pointer, a form field, or file:line:field.",
            title="Location",
        ),
    ]
    message: Annotated[str, Field(title="Message")]


class Problem(BaseModel):
    model_config = ConfigDict(
        extra="allow",
        populate_by_name=True,
    )
    detail: Annotated[str | None, Field(title="Detail")] = None
    errors: Annotated[list[ProblemField] | None, Field(title="Errors")] = None
    instance: Annotated[str | None, Field(title="Instance")] = None
    status: Annotated[int, Field(ge=100, le=599, title="Status")]
    title: Annotated[str, Field(title="Title")]
    type: Annotated[str, Field(title="Type")] = "about:blank"
