"""Reading positions and setting a position's stop and tags."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from tradeloop_contracts import (
    AssetClass,
    Direction,
    Outcome,
    Position,
    PositionCreate,
    PositionDetail,
    PositionExcursions,
    PositionPage,
    PositionStatus,
    PositionTagsChange,
    PositionUpdate,
)

from core_api.accounts.repository import AccountRepository
from core_api.db import DbSession
from core_api.executions.edits import delete_executions
from core_api.executions.service import to_executions
from core_api.identity.dependencies import CurrentUser, ServiceCaller
from core_api.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT
from core_api.kit.tracing import Traceparent
from core_api.playbooks.repository import PlaybookRepository
from core_api.playbooks.service import position_playbooks
from core_api.positions.listing import DEFAULT_SORT, PositionCursor, PositionFilters, Sort
from core_api.positions.manual import create_position
from core_api.positions.models import PositionRecord
from core_api.positions.repository import PositionRepository
from core_api.positions.service import (
    position_fields,
    store_excursions,
    to_position,
    update_position,
)
from core_api.positions.settle import judge_position_days
from core_api.positions.stops import effective_stop
from core_api.positions.tagging import change_tags

public = APIRouter(tags=["positions"])
internal = APIRouter(tags=["positions"])

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]


def _filters(
    status: PositionStatus | None = None,
    account_id: uuid.UUID | None = None,
    start: Annotated[
        dt.date | None, Query(description="First trading day the position opened on.")
    ] = None,
    end: Annotated[
        dt.date | None, Query(description="Last trading day the position opened on.")
    ] = None,
    symbol: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    direction: Direction | None = None,
    asset_class: AssetClass | None = None,
    outcome: Outcome | None = None,
    tag: Annotated[str | None, Query(min_length=1, max_length=50)] = None,
    rule_id: Annotated[
        uuid.UUID | None, Query(description="Only positions that broke this plan rule.")
    ] = None,
    playbook_id: Annotated[
        uuid.UUID | None, Query(description="Only positions that followed this playbook.")
    ] = None,
) -> PositionFilters:
    filters = PositionFilters(
        status=status,
        account_id=account_id,
        start=start,
        end=end,
        symbol=symbol,
        direction=direction,
        asset_class=asset_class,
        outcome=outcome,
        tag=tag,
        rule_id=rule_id,
        playbook_id=playbook_id,
    )
    filters.check()
    return filters


Filters = Annotated[PositionFilters, Depends(_filters)]


def _page(
    repository: PositionRepository,
    filters: PositionFilters,
    sort: str,
    cursor: str | None,
    limit: int,
) -> PositionPage:
    if filters.account_id is not None:
        AccountRepository(repository.session, repository.user_id).get(filters.account_id)
    if filters.playbook_id is not None:
        PlaybookRepository(repository.session, repository.user_id).get(filters.playbook_id)
    after = PositionCursor.decode(cursor, sort) if cursor else None
    records = repository.page(filters, sort, after, limit + 1)
    items = records[:limit]
    next_cursor = PositionCursor.after(items[-1], sort).encode() if len(records) > limit else None
    return PositionPage(items=_positions(repository, items), next_cursor=next_cursor)


def _positions(repository: PositionRepository, records: Sequence[PositionRecord]) -> list[Position]:
    playbooks = position_playbooks(repository.session, repository.user_id, [r.id for r in records])
    return [to_position(record, playbooks.get(record.id)) for record in records]


def _detail(repository: PositionRepository, record: PositionRecord) -> PositionDetail:
    executions = to_executions(repository.session, repository.executions(record.id), record.id)
    playbook = position_playbooks(repository.session, repository.user_id, [record.id])
    fields = position_fields(record, playbook.get(record.id))
    return PositionDetail.model_validate({**fields, "executions": executions})


@public.get("/v1/positions")
def list_positions(
    user: CurrentUser,
    session: DbSession,
    filters: Filters,
    sort: Sort = DEFAULT_SORT,
    cursor: str | None = None,
    limit: Limit = DEFAULT_LIMIT,
) -> PositionPage:
    """The trader's positions, filtered, most recently opened first unless sorted otherwise."""
    return _page(PositionRepository(session, user.id), filters, sort, cursor, limit)


@public.post("/v1/positions", status_code=201)
def add_position(
    body: PositionCreate, user: CurrentUser, session: DbSession, traceparent: Traceparent
) -> PositionDetail:
    """Enter a round trip by hand: its entry and optional exit become two manual fills."""
    record = create_position(session, user.id, body, traceparent)
    return _detail(PositionRepository(session, user.id), record)


@public.post("/v1/positions/tags")
def change_position_tags(
    body: PositionTagsChange, user: CurrentUser, session: DbSession
) -> PositionPage:
    """Add and remove tags on many positions in one change: all of them or none."""
    records = change_tags(session, user.id, body)
    return PositionPage(
        items=_positions(PositionRepository(session, user.id), records), next_cursor=None
    )


@public.get("/v1/positions/{position_id}")
def get_position(position_id: uuid.UUID, user: CurrentUser, session: DbSession) -> PositionDetail:
    """One position with its executions."""
    repository = PositionRepository(session, user.id)
    return _detail(repository, repository.get(position_id))


@public.patch("/v1/positions/{position_id}")
def patch_position(
    position_id: uuid.UUID,
    body: PositionUpdate,
    user: CurrentUser,
    session: DbSession,
    traceparent: Traceparent,
) -> PositionDetail:
    """Set a position's initial stop or tags; a moved stop re-judges the position's days."""
    repository = PositionRepository(session, user.id)
    record = repository.get(position_id)
    stop_before = effective_stop(record)
    update_position(session, record, body)
    if effective_stop(record) != stop_before:
        judge_position_days(session, record, traceparent)
    return _detail(repository, record)


@public.delete("/v1/positions/{position_id}", status_code=204)
def delete_position(
    position_id: uuid.UUID, user: CurrentUser, session: DbSession, traceparent: Traceparent
) -> Response:
    """Delete a position's fills (imported ones are not imported again) and rebuild."""
    repository = PositionRepository(session, user.id)
    delete_executions(
        session, user.id, repository.executions(repository.get(position_id).id), traceparent
    )
    return Response(status_code=204)


@internal.get("/internal/users/{user_id}/positions")
def list_positions_for_service(
    user_id: uuid.UUID,
    _caller: ServiceCaller,
    session: DbSession,
    filters: Filters,
    sort: Sort = DEFAULT_SORT,
    cursor: str | None = None,
    limit: Limit = DEFAULT_LIMIT,
) -> PositionPage:
    """A trader's positions, filtered, most recently opened first unless sorted otherwise."""
    return _page(PositionRepository(session, user_id), filters, sort, cursor, limit)


@internal.get("/internal/users/{user_id}/positions/{position_id}")
def get_position_for_service(
    user_id: uuid.UUID, position_id: uuid.UUID, _caller: ServiceCaller, session: DbSession
) -> PositionDetail:
    """One of a trader's positions with its executions."""
    repository = PositionRepository(session, user_id)
    return _detail(repository, repository.get(position_id))


@internal.put("/internal/users/{user_id}/positions/{position_id}/excursions", status_code=204)
def put_excursions(
    user_id: uuid.UUID,
    position_id: uuid.UUID,
    body: PositionExcursions,
    _caller: ServiceCaller,
    session: DbSession,
    traceparent: Traceparent,
) -> None:
    """Store the MAE/MFE a worker measured from complete bars."""
    record = PositionRepository(session, user_id).get(position_id)
    store_excursions(session, record, body, traceparent)
