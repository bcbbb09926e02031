"""What a browser request brings from edge: CSP nonce, CSRF token, cookie, request id."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

# Headers of the proxied request that web-ui passes on to edge, so that its own API call
# acts as the same browser session (cookie, CSRF token), lets a browser's retry of the
# same form reuse its idempotency key, and is rate-limited as that browser's address
# rather than web-ui's. The trace travels by the edge client's transport, as a child span.
FORWARDED_HEADERS = (
    "cookie",
    "x-csrf-token",
    "x-request-id",
    "idempotency-key",
    "x-forwarded-for",
)


@dataclass(frozen=True)
class BrowserContext:
    """The per-request values edge hands to web-ui, and those web-ui hands back to edge."""

    csp_nonce: str
    csrf_token: str
    is_htmx: bool
    forwarded: dict[str, str]

    @classmethod
    def from_request(cls, request: Request) -> BrowserContext:
        """Read the context from the request; absent headers become empty values."""
        forwarded = {
            name: value for name in FORWARDED_HEADERS if (value := request.headers.get(name))
        }
        return cls(
            csp_nonce=request.headers.get("x-csp-nonce", ""),
            csrf_token=request.headers.get("x-csrf-token", ""),
            is_htmx=request.headers.get("hx-request") == "true",
            forwarded=forwarded,
        )


def browser_context(request: Request) -> BrowserContext:
    """The browser context of the current request."""
    return BrowserContext.from_request(request)


Browser = Annotated[BrowserContext, Depends(browser_context)]
