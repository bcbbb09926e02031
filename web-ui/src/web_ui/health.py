"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from web_ui.edge import Edge

router = APIRouter()


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """web-ui is alive."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(edge: Edge) -> JSONResponse:
    """web-ui can serve pages: edge answers."""
    if await edge.is_ready():
        return JSONResponse({"status": "ok"})
    return JSONResponse({"status": "unavailable", "edge": "not answering"}, status_code=503)
