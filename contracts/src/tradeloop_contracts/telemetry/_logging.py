"""JSON log lines on the standard logging module, with trace, span and user ids, and
secrets masked before anything is written."""

from __future__ import annotations

import contextvars
import logging
import sys
import uuid
from typing import Any, TextIO

from opentelemetry import trace
from pythonjsonlogger.json import JsonFormatter

from ._redaction import redact

_user_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "tradeloop_user_id", default=None
)
# Servers that install loggers of their own; their lines go through ours instead.
SERVER_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "hypercorn", "gunicorn")


def bind_user(user_id: uuid.UUID | str | None) -> contextvars.Token[str | None]:
    """Name the signed-in user on every log line of the current request or task.

    Returns the token `unbind_user` takes to restore the previous value.
    """
    return _user_id.set(None if user_id is None else str(user_id))


def unbind_user(token: contextvars.Token[str | None]) -> None:
    """Restore the user bound before the `bind_user` call that returned `token`."""
    _user_id.reset(token)


class TelemetryJsonFormatter(JsonFormatter):
    """One JSON object per record: time, level, service, logger, message, trace_id, span_id,
    user_id and the record's extras, with secrets masked."""

    def __init__(self, service: str) -> None:
        super().__init__(
            "%(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "level", "name": "logger"},
            static_fields={"service": service},
            timestamp="time",
        )

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        super().add_fields(log_data, record, message_dict)
        span = trace.get_current_span().get_span_context()
        log_data["trace_id"] = format(span.trace_id, "032x") if span.is_valid else None
        log_data["span_id"] = format(span.span_id, "016x") if span.is_valid else None
        log_data["user_id"] = _user_id.get()

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        redacted: dict[str, Any] = redact(log_data)
        return redacted


def configure_logging(service: str, *, level: str = "INFO", stream: TextIO | None = None) -> None:
    """Send every log record of the process as one JSON line to `stream` (stdout).

    Replaces the root logger's handlers and makes the servers' own loggers (uvicorn...)
    write through it, so every line has the same shape. Calling it again reconfigures.
    Raises ValueError for an unknown level name.
    """
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        raise ValueError(f"unknown log level {level!r}")
    handler = logging.StreamHandler(stream if stream is not None else sys.stdout)
    handler.setFormatter(TelemetryJsonFormatter(service))
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(numeric)
    for name in SERVER_LOGGERS:
        server_logger = logging.getLogger(name)
        server_logger.handlers.clear()
        server_logger.propagate = True
