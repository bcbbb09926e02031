"""Pure ASGI middleware: a SERVER span per request, named by its route template, and the
RED metrics of every route."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Collection, MutableMapping
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from prometheus_client import Counter, Gauge, Histogram

from ._metrics import counter, gauge, histogram
from ._tracing import current_traceparent, extract_context, tracer

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

UNMATCHED = "unmatched"
# Anything else a client sends is counted as "other", so labels stay bounded.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Probes and scrapes are counted but not traced: they would drown the real traces.
UNTRACED_PATHS = ("/metrics", "/healthz", "/readyz")


def _requests() -> Counter:
    return counter(
        "http_requests_total",
        "HTTP requests answered, by route template and status.",
        ("service", "method", "route", "status"),
    )


def _durations() -> Histogram:
    return histogram(
        "http_request_duration_seconds",
        "Seconds from request to the end of the response, by route template.",
        ("service", "method", "route"),
    )


def _in_flight() -> Gauge:
    return gauge("http_requests_in_flight", "HTTP requests being handled.", ("service",))


class TelemetryMiddleware:
    """Traces and measures every HTTP request of a Starlette or FastAPI app.

    The span continues the caller's W3C `traceparent`, stays current while the handler
    runs (so outgoing calls and log lines carry it), and is named "<METHOD> <route
    template>", e.g. "GET /v1/positions/{position_id}"; requests that match no route use
    "unmatched". The response carries the span's `traceparent`, so a caller can quote it.
    WebSocket and lifespan messages pass through untouched.
    """

    def __init__(
        self, app: ASGIApp, *, service: str, untraced_paths: Collection[str] = UNTRACED_PATHS
    ) -> None:
        self.app = app
        self.service = service
        self.untraced_paths = frozenset(untraced_paths)
        self._requests = _requests()
        self._durations = _durations()
        self._in_flight = _in_flight().labels(service)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"] if scope["method"] in KNOWN_METHODS else "other"
        status = 500
        started = time.perf_counter()
        self._in_flight.inc()
        span = self._start_span(scope, method)
        try:
            with trace.use_span(span, end_on_exit=False, record_exception=True):
                traceparent = current_traceparent() if span.is_recording() else None

                async def send_with_status(message: Message) -> None:
                    nonlocal status
                    if message["type"] == "http.response.start":
                        status = message["status"]
                        if traceparent is not None:
                            headers = list(message.get("headers", []))
                            headers.append((b"traceparent", traceparent.encode()))
                            message["headers"] = headers
                    await send(message)

                await self.app(scope, receive, send_with_status)
        finally:
            route = _route_template(scope)
            self._in_flight.dec()
            self._requests.labels(self.service, method, route, str(status)).inc()
            self._durations.labels(self.service, method, route).observe(
                time.perf_counter() - started
            )
            span.update_name(f"{method} {route}")
            span.set_attribute("http.route", route)
            span.set_attribute("http.response.status_code", status)
            if status >= 500:
                span.set_status(Status(StatusCode.ERROR))
            span.end()

    def _start_span(self, scope: Scope, method: str) -> trace.Span:
        if scope["path"] in self.untraced_paths:
            return trace.INVALID_SPAN
        headers = {
            name.decode("latin-1"): value.decode("latin-1")
            for name, value in scope.get("headers", [])
            if name == b"traceparent"
        }
        return tracer().start_span(
            method,
            context=extract_context(headers),
            kind=SpanKind.SERVER,
            attributes={"http.request.method": method, "url.path": scope["path"]},
        )


def _route_template(scope: Scope) -> str:
    """The path template of the route the router matched (Starlette and FastAPI set
    `scope["route"]`), under the path of any mount it sits in."""
    route = scope.get("route")
    template = getattr(route, "path", None)
    if not isinstance(template, str):
        return UNMATCHED
    if "app_root_path" not in scope:  # set by a Mount only
        return template
    mount_prefix = scope.get("root_path", "")[len(scope["app_root_path"]) :]
    return f"{mount_prefix}{template}"
