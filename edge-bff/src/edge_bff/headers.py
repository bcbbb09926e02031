"""Security headers on every response, pages and API alike."""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .context import attach_context, new_context
from .csp_reports import PATH as CSP_REPORTS_PATH


def content_security_policy(nonce: str) -> str:
    """The CSP for one response: scripts only with this response's nonce; violations are
    reported to `POST /csp-reports` (`report-uri` for older browsers, `report-to` for the
    Reporting API)."""
    return (
        "default-src 'self'; "
        f"script-src 'nonce-{nonce}' 'strict-dynamic'; "
        "style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'; "
        f"report-uri {CSP_REPORTS_PATH}; report-to csp"
    )


_STATIC_HEADERS = {
    "strict-transport-security": "max-age=63072000; includeSubDomains",
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "x-frame-options": "DENY",
}


class SecurityHeadersMiddleware:
    """Creates the request context (nonce, request id) and sets the headers.

    Responses tied to a session or a bearer token get `Cache-Control: no-store`, so no shared
    cache keeps a page that carries a CSRF token or a trader's data.
    """

    def __init__(self, app: ASGIApp, *, public_origin: str) -> None:
        self.app = app
        # The Reporting API wants the endpoint as an absolute URL.
        self.reporting_endpoints = f'csp="{public_origin}{CSP_REPORTS_PATH}"'

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_headers = Headers(scope=scope)
        context = new_context(request_headers)
        attach_context(scope, context)

        async def send_with_headers(message: Message) -> None:
            # A refused WebSocket upgrade is an HTTP answer too.
            if message["type"] in ("http.response.start", "websocket.http.response.start"):
                headers = MutableHeaders(scope=message)
                for name, value in _STATIC_HEADERS.items():
                    headers[name] = value
                headers["content-security-policy"] = content_security_policy(context.csp_nonce)
                headers["reporting-endpoints"] = self.reporting_endpoints
                headers["x-request-id"] = context.request_id
                if (
                    context.session is not None
                    or context.had_session_cookie
                    or "authorization" in request_headers
                ):
                    headers["cache-control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)
