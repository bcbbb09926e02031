"""Logs, traces and metrics, the same in every service (extra `telemetry`).

    configure_logging("core-api")        # JSON lines on stdout, secrets masked
    configure_tracing("core-api", exporter="otlp")
    app.add_middleware(TelemetryMiddleware, service="core-api")
    app.router.routes.append(Route("/metrics", metrics_app()))

See docs/telemetry.md in the package's repository folder for the whole guide.
"""

from ._asgi import TelemetryMiddleware
from ._http import TracedTransport
from ._logging import bind_user, configure_logging, unbind_user
from ._metrics import REGISTRY, counter, gauge, histogram, metrics_app, metrics_response
from ._pool import instrument_pool
from ._redaction import MASK, redact, redact_text
from ._tracing import (
    capture_spans,
    configure_tracing,
    current_traceparent,
    extract_context,
    inject_traceparent,
    tracer,
)

__all__ = [
    "MASK",
    "REGISTRY",
    "TelemetryMiddleware",
    "TracedTransport",
    "bind_user",
    "capture_spans",
    "configure_logging",
    "configure_tracing",
    "counter",
    "current_traceparent",
    "extract_context",
    "gauge",
    "histogram",
    "inject_traceparent",
    "instrument_pool",
    "metrics_app",
    "metrics_response",
    "redact",
    "redact_text",
    "tracer",
    "unbind_user",
]
