"""Form input turned into contracts bodies, and refusals turned into messages per field."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError
from pydantic_core import ErrorDetails
from starlette.datastructures import FormData
from tradeloop_contracts import ProblemField

# Spaces around a password are part of it.
_EXACT_FIELDS = frozenset({"password"})


def form_values(form: FormData, names: Iterable[str]) -> dict[str, str]:
    """The named text fields of a form, stripped (passwords kept exact); blank ones left out."""
    values: dict[str, str] = {}
    for name in names:
        value = form.get(name)
        if isinstance(value, str) and value.strip():
            values[name] = value if name in _EXACT_FIELDS else value.strip()
    return values


# What a trader should type instead, for the fields whose pattern is not self-evident.
_PATTERN_HINTS = {
    "email": "Enter an email address such as you@example.com",
    "base_currency": "Use a three-letter currency code such as USD",
}


def _message(field: str, error: ErrorDetails) -> str:
    context = error.get("ctx", {})
    match error["type"]:
        case "missing":
            return "This field is required"
        case "too_short" | "string_too_short":
            return f"Use at least {context.get('min_length')} characters"
        case "too_long" | "string_too_long":
            return f"Use at most {context.get('max_length')} characters"
        case "string_pattern_mismatch":
            return _PATTERN_HINTS.get(field, "This value is not in the expected form")
        case "greater_than_equal":
            return f"Use {context.get('ge')} or more"
        case "less_than_equal":
            return f"Use {context.get('le')} or less"
        case "int_parsing":
            return "Enter a whole number"
        case "decimal_parsing":
            return "Enter a number"
        case "greater_than":
            return f"Use more than {context.get('gt')}"
        case "uuid_parsing":
            return "Choose one of the options"
        case _:
            return error["msg"]


def field_errors(exc: ValidationError) -> list[ProblemField]:
    """One plain-language entry per refused field, located by its form field name."""
    fields: list[ProblemField] = []
    for error in exc.errors(include_url=False, include_input=False):
        location = ".".join(str(part) for part in error["loc"]) or "form"
        fields.append(ProblemField(location=location, message=_message(location, error)))
    return fields


# The default stop rule's two form fields, and the body's `default_stop` they make.
STOP_FIELDS = ("default_stop_kind", "default_stop_distance")


def typed_default_stop(values: Mapping[str, str]) -> dict[str, str] | None:
    """The `default_stop` a form's kind and distance give; none when no kind is chosen (a
    missing distance is then refused by the model, named by its field)."""
    kind = values.get("default_stop_kind")
    if not kind:
        return None
    return {"kind": kind, "distance": values.get("default_stop_distance", "")}


def errors_by_field(errors: Iterable[ProblemField]) -> dict[str, str]:
    """The first message for each field, keyed by the form field the location names.

    edge locates errors as JSON pointers (`/body`) or plain names (`body`); both map to
    the form field of the same name; the default stop's `kind` and `distance` to the
    form's `default_stop_kind` and `default_stop_distance`.
    """
    by_field: dict[str, str] = {}
    for error in errors:
        parts = error.location.strip("/").replace("/", ".").split(".")
        name = parts[-1]
        if len(parts) > 1 and parts[-2] == "default_stop":
            name = f"default_stop_{name}"
        by_field.setdefault(name, error.message)
    return by_field


def in_utc(typed: str) -> str:
    """A `datetime-local` value (no offset) read as UTC, as the form's label says."""
    return in_zone(typed, "UTC")


def in_zone(typed: str, time_zone: str) -> str:
    """A `datetime-local` value (no offset) read in `time_zone`, an IANA name (UTC when
    unknown); a value typed with an offset keeps it."""
    try:
        moment = dt.datetime.fromisoformat(typed)
    except ValueError:
        return typed  # refused by the model, named by its field
    if moment.tzinfo is None:
        try:
            zone: dt.tzinfo = ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            zone = dt.UTC
        moment = moment.replace(tzinfo=zone)
    return moment.isoformat()
