"""Base models and the exact wire types every contract uses."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
)

DECIMAL_PATTERN = r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?$"


def _refuse_float(value: Any) -> Any:
    # A float has already lost the exact value; make the sender send a string.
    if isinstance(value, float):
        raise ValueError("decimal values travel as strings, never as floats")
    return value


def _plain_decimal(value: Decimal) -> str:
    return format(value, "f")


Amount = Annotated[
    Decimal,
    BeforeValidator(_refuse_float),
    PlainSerializer(_plain_decimal, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": DECIMAL_PATTERN, "examples": ["-12.50"]}),
]
"""Money, prices and quantities: a `Decimal` in Python, a decimal string on the wire."""

Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
"""ISO 4217 alphabetic code, such as `USD`."""

Timestamp = AwareDatetime
"""RFC 3339 date-time with an offset; naive times are refused."""


class RequestBody(BaseModel):
    """A body a client sends: unknown fields are refused so typos surface as errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ResponseBody(BaseModel):
    """A body a server sends, or an event's data: readers ignore fields they do not know."""

    model_config = ConfigDict(extra="ignore", frozen=True)
