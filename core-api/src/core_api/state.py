"""What the running app holds: settings, database sessions, the token issuer, object storage,
the key ring that seals broker secrets, the plan judge, and where long work runs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from obstore.store import ObjectStore
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from tradeloop_contracts.sealing import KeyRing

from core_api.config import Settings
from core_api.identity.tokens import TokenIssuer
from core_api.kit.offload import Offload
from core_api.plans.judging import PlanJudge


@dataclass
class CoreState:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    tokens: TokenIssuer
    store: ObjectStore
    sealing: KeyRing
    judge: PlanJudge
    # Settles, undos and plan judging.
    offload: Offload
    # The batches of executions workers send: many short units, not queued behind a settle.
    batches: Offload


def _state(request: Request) -> CoreState:
    state: CoreState = request.app.state.core
    return state


State = Annotated[CoreState, Depends(_state)]
