"""Liveness and readiness."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable

import obstore
from fastapi import APIRouter
from sqlalchemy import text

from core_api.errors import AppError
from core_api.state import CoreState, State

router = APIRouter(tags=["health"])
logger = logging.getLogger(__name__)

# A probe must answer even when a dependency hangs (an S3 endpoint that never replies).
CHECK_TIMEOUT_SECONDS = 2.0
# Looked up, never written: "not found" is the answer of a store that is reachable.
PROBE_KEY = "readyz-probe"


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive."""
    # On the event loop itself: it answers as fast as the loop turns, with no thread to wait for.
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(state: State) -> dict[str, str]:
    """The database answers `SELECT 1` and the object store answers a lookup."""
    checks = {
        "database": asyncio.to_thread(_select_one, state),
        "object store": _look_up_probe(state),
    }
    answers = await asyncio.gather(*(_answers(name, check) for name, check in checks.items()))
    down = [name for name, up in zip(checks, answers, strict=True) if not up]
    if down:
        raise AppError(503, "Service Unavailable", f"Not answering: {', '.join(down)}.")
    return {"status": "ready"}


async def _answers(name: str, check: Awaitable[None]) -> bool:
    try:
        await asyncio.wait_for(check, CHECK_TIMEOUT_SECONDS)
    except Exception as error:
        logger.warning("not ready: the %s does not answer: %r", name, error)
        return False
    return True


def _select_one(state: CoreState) -> None:
    with state.sessions() as session:
        session.execute(text("SELECT 1"))


async def _look_up_probe(state: CoreState) -> None:
    try:
        await obstore.head_async(state.store, PROBE_KEY)
    except FileNotFoundError:
        pass
