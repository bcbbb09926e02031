"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from core_api.errors import AppError
from core_api.state import State

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(state: State) -> dict[str, str]:
    """The database answers."""
    try:
        with state.sessions() as session:
            session.execute(text("SELECT 1"))
    except Exception as error:
        raise AppError(503, "Service Unavailable", "The database does not answer.") from error
    return {"status": "ready"}
