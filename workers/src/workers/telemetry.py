"""Logs and traces of the worker process, set up from the settings."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from tradeloop_contracts.telemetry import configure_logging, configure_tracing

from .config import WorkersSettings

SERVICE = "workers"
OTLP_TRACES_PATH = "/v1/traces"
_ids = RandomIdGenerator()


def configure_telemetry(settings: WorkersSettings) -> TracerProvider:
    """JSON log lines on stdout and the process' tracer provider, as the settings say.

    Shut the provider down before the process exits, so the last spans are exported.
    """
    configure_logging(SERVICE, level=settings.log_level)
    # The relay polls core several times a second; httpx would log every request.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return configure_tracing(
        SERVICE, exporter=settings.traces_exporter, endpoint=traces_url(settings.traces_endpoint)
    )


def traces_url(base_url: str) -> str | None:
    """The OTLP/HTTP traces URL under `base_url` (None when empty, so the exporter reads
    the standard OTEL_EXPORTER_OTLP_* variables)."""
    if not base_url:
        return None
    return base_url.rstrip("/") + OTLP_TRACES_PATH


@contextlib.contextmanager
def untraced() -> Iterator[None]:
    """Run the block in a trace that is not sampled: nothing in it is exported, and the
    calls it makes to core tell core not to sample either.

    For work that repeats all the time without a trader behind it (the relay's polling,
    readiness probes), which would otherwise start a new trace on every turn.
    """
    unsampled = trace.SpanContext(
        trace_id=_ids.generate_trace_id(),
        span_id=_ids.generate_span_id(),
        is_remote=False,
        trace_flags=trace.TraceFlags(trace.TraceFlags.DEFAULT),
    )
    with trace.use_span(trace.NonRecordingSpan(unsampled)):
        yield
