"""Outgoing HTTP calls: a CLIENT span each, carrying the trace to the called service."""

from __future__ import annotations

import httpx
from opentelemetry.trace import SpanKind, Status, StatusCode

from ._tracing import inject_traceparent, tracer


class TracedTransport(httpx.AsyncBaseTransport):
    """An httpx transport that wraps every request in a CLIENT span and sends its
    `traceparent`: `httpx.AsyncClient(transport=TracedTransport())`."""

    def __init__(self, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._transport = transport if transport is not None else httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        attributes = {
            "http.request.method": request.method,
            "server.address": request.url.host,
            "url.path": request.url.path,
        }
        # The query string may carry secrets; the span keeps the path only.
        with tracer().start_as_current_span(
            request.method, kind=SpanKind.CLIENT, attributes=attributes
        ) as span:
            inject_traceparent(request.headers)
            response = await self._transport.handle_async_request(request)
            span.set_attribute("http.response.status_code", response.status_code)
            if response.status_code >= 500:
                span.set_status(Status(StatusCode.ERROR))
            return response

    async def aclose(self) -> None:
        await self._transport.aclose()
