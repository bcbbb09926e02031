"""One Prometheus registry per process, with get-or-create series so that creating
several app instances (as tests do) never registers a series twice."""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any, TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.metrics import MetricWrapperBase

REGISTRY = CollectorRegistry(auto_describe=True)
"""Every series of this library and of the services that call `counter`, `gauge` or `histogram`."""

# Request durations from 5 ms to 10 s; a slow import job is measured by its own series.
DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

MetricT = TypeVar("MetricT", bound=MetricWrapperBase)
_created: dict[str, MetricWrapperBase] = {}
_lock = threading.Lock()


def _get_or_create(
    kind: type[MetricT], name: str, documentation: str, labels: Sequence[str], **options: Any
) -> MetricT:
    with _lock:
        existing = _created.get(name)
        if existing is None:
            metric = kind(name, documentation, labelnames=labels, registry=REGISTRY, **options)
            _created[name] = metric
            return metric
    if not isinstance(existing, kind) or tuple(existing._labelnames) != tuple(labels):
        raise ValueError(
            f"metric {name} already exists as a {type(existing).__name__}"
            f" with labels {list(existing._labelnames)}"
        )
    return existing


def counter(name: str, documentation: str, labels: Sequence[str] = ()) -> Counter:
    """The counter `name` on the shared registry, created on first use.

    Raises ValueError when `name` exists with another type or other labels.
    """
    return _get_or_create(Counter, name, documentation, labels)


def gauge(name: str, documentation: str, labels: Sequence[str] = ()) -> Gauge:
    """The gauge `name` on the shared registry, created on first use (see `counter`)."""
    return _get_or_create(Gauge, name, documentation, labels)


def histogram(
    name: str,
    documentation: str,
    labels: Sequence[str] = (),
    buckets: Sequence[float] = DEFAULT_BUCKETS,
) -> Histogram:
    """The histogram `name` on the shared registry, created on first use (see `counter`)."""
    return _get_or_create(Histogram, name, documentation, labels, buckets=tuple(buckets))


def metrics_response() -> tuple[bytes, str]:
    """The body and content type of a `GET /metrics` answer in Prometheus text format."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class _MetricsApp:
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        del receive
        if scope["type"] != "http":
            return
        body, content_type = metrics_response()
        headers = [
            (b"content-type", content_type.encode()),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def metrics_app() -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """An ASGI app answering with the registry in Prometheus text format.

    Route it at `/metrics` with Starlette's `Route("/metrics", metrics_app())`, in FastAPI
    by `app.router.routes.append(...)` of that route.
    """
    return _MetricsApp()
