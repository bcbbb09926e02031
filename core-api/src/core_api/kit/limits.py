"""Refuses request bodies that announce more bytes than allowed, before reading them."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from core_api.errors import problem_response

# Room for the multipart boundaries and form fields around the file itself.
ENVELOPE_BYTES = 64 * 1024


class BodySizeLimit:
    """A 413 problem for a `Content-Length` above the limit; chunked bodies are counted later."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes + ENVELOPE_BYTES

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for name, value in scope["headers"]:
                if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                    response = problem_response(
                        413,
                        "Upload too large",
                        f"Request bodies may be at most {self.max_bytes} bytes.",
                        instance=scope.get("path"),
                    )
                    await response(scope, receive, send)
                    return
        await self.app(scope, receive, send)
