"""Logs, traces and metrics of the edge, wired from `tradeloop_contracts.telemetry`."""

from __future__ import annotations

from prometheus_client import Counter, Gauge
from tradeloop_contracts.telemetry import configure_logging, configure_tracing, counter, gauge

from .config import Settings

SERVICE = "edge-bff"
_OTLP_TRACES_PATH = "/v1/traces"


def configure_telemetry(settings: Settings) -> None:
    """JSON log lines on stdout and the process' tracer, as the settings say."""
    configure_logging(SERVICE, level=settings.log_level.upper())
    configure_tracing(
        SERVICE, exporter=settings.traces_exporter, endpoint=traces_url(settings.traces_endpoint)
    )


def traces_url(endpoint: str | None) -> str | None:
    """The OTLP/HTTP traces URL of a collector's base URL (kept when it names the path)."""
    if not endpoint:
        return None
    endpoint = endpoint.rstrip("/")
    return endpoint if endpoint.endswith(_OTLP_TRACES_PATH) else endpoint + _OTLP_TRACES_PATH


def start_socket_series() -> None:
    """Show the socket series from the start, at zero, rather than from the first socket."""
    ws_connections().labels(SERVICE)
    ws_send_queue_drops().labels(SERVICE)


def ws_connections() -> Gauge:
    """Open WebSockets of this process."""
    return gauge("ws_connections", "WebSockets open on this instance.", ("service",))


def ws_send_queue_drops() -> Counter:
    """Sockets closed because their send queue was full (a client too slow to keep up)."""
    return counter(
        "ws_send_queue_drops_total",
        "WebSockets closed because the client fell behind and its send queue filled up.",
        ("service",),
    )
