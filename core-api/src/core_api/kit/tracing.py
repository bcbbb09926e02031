"""The W3C `traceparent` of the request, carried into the events it writes."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Depends, Request

_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")


def _traceparent(request: Request) -> str | None:
    value = request.headers.get("traceparent", "").strip().lower()
    # A malformed header is dropped rather than refused: tracing never fails a request.
    return value if _TRACEPARENT.match(value) else None


Traceparent = Annotated[str | None, Depends(_traceparent)]
