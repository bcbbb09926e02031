"""The backends behind the edge and a streaming reverse proxy to them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass

import httpx
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from tradeloop_contracts.telemetry import TracedTransport

from .errors import AppError

# RFC 9110 7.6.1: meaningful for one connection only, never forwarded.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)


@dataclass(frozen=True)
class Upstreams:
    """One long-lived HTTP client per backend, created at startup."""

    core: httpx.AsyncClient
    web: httpx.AsyncClient
    coach: httpx.AsyncClient

    @classmethod
    def connect(
        cls, *, core_url: str, web_url: str, coach_url: str, timeout_seconds: float
    ) -> Upstreams:
        """Clients for the three backends (no request is made yet)."""
        timeout = httpx.Timeout(timeout_seconds, connect=5.0)

        def client(url: str) -> httpx.AsyncClient:
            # Each call is a CLIENT span of the request's trace and sends its traceparent.
            return httpx.AsyncClient(
                base_url=url, timeout=timeout, follow_redirects=False, transport=TracedTransport()
            )

        return cls(core=client(core_url), web=client(web_url), coach=client(coach_url))

    async def aclose(self) -> None:
        """Close every client."""
        for client in (self.core, self.web, self.coach):
            await client.aclose()


class BodyTooLargeError(Exception):
    """The request body is longer than the edge accepts."""


def filtered_headers(
    headers: Iterable[tuple[str, str]], *, connection: str, drop: frozenset[str]
) -> list[tuple[str, str]]:
    """The headers without hop-by-hop ones, those the Connection header names, and `drop`."""
    named = {token.strip().lower() for token in connection.split(",")}
    return [
        (name, value)
        for name, value in headers
        if name.lower() not in HOP_BY_HOP and name.lower() not in named and name.lower() not in drop
    ]


async def _limited(stream: AsyncIterator[bytes], limit: int) -> AsyncIterator[bytes]:
    received = 0
    async for chunk in stream:
        received += len(chunk)
        if received > limit:
            raise BodyTooLargeError
        yield chunk


async def forward(
    request: Request,
    client: httpx.AsyncClient,
    path: str,
    *,
    headers: list[tuple[str, str]],
    max_body_bytes: int,
    relay_set_cookie: bool,
) -> Response:
    """Stream `request` to `path` on `client` and stream the answer back.

    Raises AppError 413 when the body is too large, 502 when the backend cannot be reached
    and 504 when it does not answer in time.
    """
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_body_bytes:
        raise AppError(413, f"Request bodies are limited to {max_body_bytes} bytes.")
    has_body = request.method not in ("GET", "HEAD", "OPTIONS", "DELETE") or declared not in (
        None,
        "0",
    )
    upstream_request = client.build_request(
        request.method,
        path,
        params=httpx.QueryParams(request.url.query),
        headers=headers,
        content=_limited(request.stream(), max_body_bytes) if has_body else None,
    )
    try:
        upstream = await client.send(upstream_request, stream=True)
    except BodyTooLargeError as exc:
        raise AppError(413, f"Request bodies are limited to {max_body_bytes} bytes.") from exc
    except httpx.TimeoutException as exc:
        raise AppError(504, "The backend did not answer in time.") from exc
    except httpx.HTTPError as exc:
        raise AppError(502, "The backend could not be reached.") from exc
    drop = frozenset() if relay_set_cookie else frozenset({"set-cookie"})
    response_headers = filtered_headers(
        upstream.headers.multi_items(), connection=upstream.headers.get("connection", ""), drop=drop
    )
    response = StreamingResponse(
        upstream.aiter_raw(),
        status_code=upstream.status_code,
        background=BackgroundTask(upstream.aclose),
    )
    # Keep repeated headers (Set-Cookie) intact rather than folding them.
    response.raw_headers = [
        (name.lower().encode("latin-1"), value.encode("latin-1"))
        for name, value in response_headers
    ]
    return response
