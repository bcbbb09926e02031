"""JSON bodies in and out of the edge, validated against the contracts."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, SecretStr, ValidationError
from pydantic_core import to_json
from starlette.requests import Request

from .errors import AppError, validation_problems

ModelT = TypeVar("ModelT", bound=BaseModel)

# Auth bodies are small; refuse more before parsing.
_MAX_AUTH_BODY_BYTES = 16 * 1024


async def read_small_body(request: Request, limit: int) -> bytes:
    """The whole body of a route that takes only small ones; AppError 413 as soon as it
    grows past `limit` bytes."""
    chunks: list[bytes] = []
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise AppError(413, f"This body is limited to {limit} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_body(request: Request, model: type[ModelT]) -> tuple[ModelT, bytes]:
    """The body parsed as `model`, and its raw bytes.

    Raises AppError 413 for an oversized body and 422 naming each invalid field
    (malformed JSON included) without echoing any value.
    """
    raw = await read_small_body(request, _MAX_AUTH_BODY_BYTES)
    try:
        return model.model_validate_json(raw), raw
    except ValidationError as exc:
        raise AppError(
            422, f"The body is not a valid {model.__name__}.", errors=validation_problems(exc)
        ) from exc


def is_json(content_type: str) -> bool:
    """True for `application/json` and `application/*+json` media types."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


def _reveal(value: Any) -> Any:
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, dict):
        return {key: _reveal(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_reveal(item) for item in value]
    return value


def wire_json(body: BaseModel) -> bytes:
    """The body as JSON with its secrets revealed: for a backend, never for a log."""
    return to_json(_reveal(body.model_dump(mode="python")))
