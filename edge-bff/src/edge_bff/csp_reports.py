"""`POST /csp-reports`: where browsers report what the Content-Security-Policy blocked."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .bodies import read_small_body
from .errors import AppError

log = logging.getLogger(__name__)

PATH = "/csp-reports"
# A report is a few hundred bytes; a batch of the Reporting API a few of them.
_MAX_BODY_BYTES = 16 * 1024
_MAX_REPORTS = 20
# `report-uri` (CSP 2) sends one object under "csp-report"; the Reporting API sends a list.
_MEDIA_TYPES = frozenset({"application/csp-report", "application/reports+json", "application/json"})


def _without_query(url: object) -> str:
    """Scheme, host and path only: a query string may hold a trader's data or a token."""
    if not isinstance(url, str):
        return ""
    if "://" not in url:
        return url[:32]  # keywords such as "inline" or "eval"
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"[:256]


def _violations(document: Any) -> list[dict[str, str]]:
    """What each report says: the directive, what was blocked, on which page."""
    if isinstance(document, dict) and isinstance(document.get("csp-report"), dict):
        report = document["csp-report"]
        reports = [
            {
                "directive": report.get("effective-directive") or report.get("violated-directive"),
                "blocked": report.get("blocked-uri"),
                "page": report.get("document-uri"),
            }
        ]
    elif isinstance(document, list):
        reports = [
            {
                "directive": body.get("effectiveDirective"),
                "blocked": body.get("blockedURL"),
                "page": body.get("documentURL"),
            }
            for item in document[:_MAX_REPORTS]
            if isinstance(item, dict)
            and item.get("type") == "csp-violation"
            and isinstance(body := item.get("body"), dict)
        ]
    else:
        raise AppError(400, "The body is not a CSP violation report.")
    return [
        {
            "directive": str(report["directive"] or "")[:64],
            "blocked": _without_query(report["blocked"]),
            "page": urlsplit(report["page"]).path[:256] if isinstance(report["page"], str) else "",
        }
        for report in reports
    ]


async def csp_report(request: Request) -> Response:
    """Log each reported violation (never a query string); 204."""
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type not in _MEDIA_TYPES:
        raise AppError(415, "CSP reports are application/csp-report or application/reports+json.")
    raw = await read_small_body(request, _MAX_BODY_BYTES)
    try:
        document = json.loads(raw)
    except ValueError as exc:
        raise AppError(400, "The body is not JSON.") from exc
    for violation in _violations(document):
        log.warning("content security policy violation", extra=violation)
    return Response(status_code=204)


routes = [Route(PATH, csp_report, methods=["POST"])]
