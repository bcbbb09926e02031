"""CSRF defence for cookie sessions: a session-bound token, Fetch Metadata and Origin checks."""

from __future__ import annotations

import hashlib
import hmac
import re

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .bodies import is_json
from .context import context_of
from .csp_reports import PATH as CSP_REPORTS_PATH
from .errors import send_problem
from .sessions.store import Session

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# API routes whose bodies are files, not JSON: imports, archives and screenshots.
MULTIPART_ROUTES = re.compile(
    r"^/api/v1/(imports|import-archive"
    r"|positions/[^/]+/attachments|journal/entries/[^/]+/attachments)$"
)


class CsrfTokens:
    """Tokens of the form `<random>.<HMAC-SHA256(pepper, session id + random)>`."""

    def __init__(self, pepper: bytes) -> None:
        self._pepper = pepper

    def _mac(self, session_id: str, random_part: str) -> str:
        message = f"{session_id}.{random_part}".encode()
        return hmac.new(self._pepper, message, hashlib.sha256).hexdigest()

    def token_for(self, session: Session) -> str:
        """The session's current token (stable for the session's life)."""
        return f"{session.csrf_secret}.{self._mac(session.id, session.csrf_secret)}"

    def is_valid(self, session: Session, token: str) -> bool:
        """True when `token` was made for this session; compared in constant time."""
        random_part, _, mac = token.rpartition(".")
        if not random_part or not mac:
            return False
        return hmac.compare_digest(mac.encode(), self._mac(session.id, random_part).encode())


def _has_body(headers: Headers) -> bool:
    return headers.get("content-length", "0") != "0" or "transfer-encoding" in headers


class CsrfMiddleware:
    """Refuses unsafe requests that a foreign site could have made in a trader's name.

    Requests carrying `Authorization: Bearer` and no cookie are exempt: browsers never add
    that header on their own. Everything else that is unsafe must not be cross-site
    (Fetch Metadata), must come from the public origin when it names one, and, when it
    rides a live session, must carry that session's token in `X-CSRF-Token`. Bodies of
    JSON API routes must be declared JSON, which no cross-site form can do.
    """

    def __init__(self, app: ASGIApp, tokens: CsrfTokens, *, public_origin: str) -> None:
        self.app = app
        self.tokens = tokens
        self.public_origin = public_origin

    def _refusal(self, scope: Scope, headers: Headers) -> tuple[int, str] | None:
        context = context_of(scope)
        bearer_only = headers.get("authorization", "").lower().startswith("bearer ") and (
            not context.had_session_cookie
        )
        if bearer_only:
            return None
        if headers.get("sec-fetch-site", "").lower() == "cross-site":
            return 403, "Cross-site requests may not change anything."
        origin = headers.get("origin")
        if origin is not None and origin != self.public_origin:
            return 403, "The request's Origin is not this site."
        if context.session is not None:
            token = headers.get("x-csrf-token", "")
            if not token:
                return 403, "The X-CSRF-Token header is missing."
            if not self.tokens.is_valid(context.session, token):
                return 403, "The X-CSRF-Token header does not belong to this session."
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_vary(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).add_vary_header("Sec-Fetch-Site, Origin")
            await send(message)

        method = scope["method"]
        # A CSP report changes nothing but a log line, and browsers send it without a token.
        if method in SAFE_METHODS or scope["path"] == CSP_REPORTS_PATH:
            await self.app(scope, receive, send_with_vary)
            return
        headers = Headers(scope=scope)
        refusal = self._refusal(scope, headers)
        if refusal is None and scope["path"].startswith("/api/") and _has_body(headers):
            allowed_multipart = method == "POST" and bool(MULTIPART_ROUTES.match(scope["path"]))
            content_type = headers.get("content-type", "")
            is_multipart = content_type.lower().startswith("multipart/form-data")
            if not (is_json(content_type) or (allowed_multipart and is_multipart)):
                refusal = 415, "This route takes application/json bodies."
        if refusal is not None:
            await send_problem(scope, receive, send_with_vary, *refusal)
            return
        await self.app(scope, receive, send_with_vary)
