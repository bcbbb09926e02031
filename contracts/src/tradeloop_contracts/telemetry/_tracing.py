"""The OpenTelemetry tracer provider of a service, and W3C trace context in and out."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator, Mapping, MutableMapping
from typing import Literal

from opentelemetry import context, propagate, trace
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

Exporter = Literal["none", "console", "otlp"]
TRACER_NAME = "tradeloop_contracts.telemetry"

# Only W3C trace context travels between our processes; baggage is not used.
_propagator = TraceContextTextMapPropagator()
_provider: TracerProvider | None = None


def configure_tracing(
    service: str,
    *,
    exporter: Exporter = "none",
    endpoint: str | None = None,
    sampler_ratio: float = 1.0,
) -> TracerProvider:
    """Install the process' tracer provider, named `service`, and return it.

    "none" records spans (so trace ids reach logs, responses and messages) but exports
    nothing; "console" prints each span as JSON; "otlp" sends batches over OTLP/HTTP to
    `endpoint` (the traces URL), or where the standard OTEL_EXPORTER_OTLP_* variables
    say when `endpoint` is None. New root traces are kept with probability
    `sampler_ratio`; a trace started upstream keeps its caller's decision.
    Calling it again replaces the previous provider, which is shut down.
    Raises ValueError for an unknown exporter or a ratio outside 0..1.
    """
    if not 0.0 <= sampler_ratio <= 1.0:
        raise ValueError(f"sampler_ratio must be between 0 and 1, got {sampler_ratio}")
    global _provider
    provider = TracerProvider(
        resource=Resource.create({SERVICE_NAME: service}),
        sampler=ParentBased(TraceIdRatioBased(sampler_ratio)),
    )
    if exporter == "console":
        # The stdout of now, not the one the exporter's module saw when imported.
        provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter(out=sys.stdout)))
    elif exporter == "otlp":
        provider.add_span_processor(BatchSpanProcessor(_otlp_exporter(endpoint)))
    elif exporter != "none":
        raise ValueError(f"exporter must be none, console or otlp, not {exporter!r}")
    if _provider is None:
        # The global provider can be set once per process; later calls (tests) replace
        # the one `tracer()` hands out.
        trace.set_tracer_provider(provider)
    else:
        _provider.shutdown()
    _provider = provider
    propagate.set_global_textmap(_propagator)
    return provider


def _otlp_exporter(endpoint: str | None) -> SpanExporter:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter(endpoint=endpoint)


def tracer() -> trace.Tracer:
    """The tracer of the configured provider (a no-op tracer before `configure_tracing`)."""
    if _provider is None:
        return trace.get_tracer(TRACER_NAME)
    return _provider.get_tracer(TRACER_NAME)


@contextlib.contextmanager
def capture_spans(service: str = "test") -> Iterator[InMemorySpanExporter]:
    """For tests: configure tracing for `service` and collect every finished span.

    `exporter.get_finished_spans()` lists them; pending spans are flushed on exit.
    """
    provider = configure_tracing(service)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    try:
        yield exporter
    finally:
        provider.force_flush()


def extract_context(carrier: Mapping[str, str]) -> context.Context:
    """The trace context a `traceparent` entry of `carrier` names (empty when none)."""
    return _propagator.extract(carrier)


def inject_traceparent(headers: MutableMapping[str, str]) -> MutableMapping[str, str]:
    """Add the current span's `traceparent` to `headers` (nothing when no span is active)."""
    _propagator.inject(headers)
    return headers


def current_traceparent() -> str | None:
    """The W3C `traceparent` of the current span, or None outside any recorded span."""
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier.get("traceparent")
