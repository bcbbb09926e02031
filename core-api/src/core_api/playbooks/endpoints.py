"""Playbooks, and the playbook a position followed."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query, Response
from tradeloop_contracts import (
    Playbook,
    PlaybookCreate,
    PlaybookList,
    PlaybookUpdate,
    Position,
    PositionPlaybookSet,
)

from core_api.accounts.repository import AccountRepository
from core_api.db import DbSession
from core_api.identity.dependencies import CurrentUser, ServiceCaller
from core_api.plans.judging import Judge, rejudge_after_stop_change
from core_api.playbooks.repository import PlaybookRepository
from core_api.playbooks.service import (
    create_playbook,
    list_playbooks,
    position_playbooks,
    read_playbook,
    remove_playbook,
    set_position_playbook,
    update_playbook,
)
from core_api.positions.repository import PositionRepository
from core_api.positions.service import to_position

public = APIRouter(tags=["playbooks"])
internal = APIRouter(tags=["playbooks"])


@public.get("/v1/playbooks")
def get_playbooks(
    user: CurrentUser,
    session: DbSession,
    account_id: Annotated[
        uuid.UUID | None, Query(description="Positions and adherence of this account only.")
    ] = None,
) -> PlaybookList:
    """The trader's playbooks, archived ones last, with positions and adherence."""
    if account_id is not None:
        AccountRepository(session, user.id).get(account_id)
    return PlaybookList(items=list_playbooks(session, user.id, account_id))


@public.post("/v1/playbooks", status_code=201)
def add_playbook(body: PlaybookCreate, user: CurrentUser, session: DbSession) -> Playbook:
    """Create a playbook with its checklist criteria."""
    return read_playbook(session, user.id, create_playbook(session, user.id, body))


@public.get("/v1/playbooks/{playbook_id}")
def get_playbook(playbook_id: uuid.UUID, user: CurrentUser, session: DbSession) -> Playbook:
    """One playbook with its criteria, positions and adherence."""
    record = PlaybookRepository(session, user.id).get(playbook_id)
    return read_playbook(session, user.id, record)


@public.patch("/v1/playbooks/{playbook_id}")
def patch_playbook(
    playbook_id: uuid.UUID,
    body: PlaybookUpdate,
    user: CurrentUser,
    session: DbSession,
    judge: Judge,
    tasks: BackgroundTasks,
) -> Playbook:
    """Rename, describe, archive or restore a playbook, replace its criteria, or set its
    default stop."""
    record = PlaybookRepository(session, user.id).get(playbook_id)
    if update_playbook(session, record, body) and rejudge_after_stop_change(session, user.id):
        tasks.add_task(judge.request, user.id)
    return read_playbook(session, user.id, record)


@public.delete("/v1/playbooks/{playbook_id}", status_code=204)
def delete_playbook(
    playbook_id: uuid.UUID,
    user: CurrentUser,
    session: DbSession,
    judge: Judge,
    tasks: BackgroundTasks,
) -> Response:
    """Delete a playbook: its positions stay and follow no playbook any more."""
    record = PlaybookRepository(session, user.id).get(playbook_id)
    if remove_playbook(session, record) and rejudge_after_stop_change(session, user.id):
        tasks.add_task(judge.request, user.id)
    return Response(status_code=204)


@public.put("/v1/positions/{position_id}/playbook")
def put_position_playbook(
    position_id: uuid.UUID,
    body: PositionPlaybookSet,
    user: CurrentUser,
    session: DbSession,
    judge: Judge,
    tasks: BackgroundTasks,
) -> Position:
    """Put a position under a playbook with the criteria it met, or under none."""
    moved = set_position_playbook(session, user.id, position_id, body)
    if moved and rejudge_after_stop_change(session, user.id):
        tasks.add_task(judge.request, user.id)
    record = PositionRepository(session, user.id).get(position_id)
    return to_position(record, position_playbooks(session, user.id, [record.id]).get(record.id))


@internal.get("/internal/users/{user_id}/playbooks")
def get_playbooks_for_service(
    user_id: uuid.UUID, _caller: ServiceCaller, session: DbSession
) -> PlaybookList:
    """A trader's playbooks, archived ones last, with positions and adherence."""
    return PlaybookList(items=list_playbooks(session, user_id))
