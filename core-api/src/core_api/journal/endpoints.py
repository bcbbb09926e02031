"""Writing and reading journal entries."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from tradeloop_contracts import (
    JournalEntry,
    JournalEntryCreate,
    JournalEntryPage,
    JournalEntryUpdate,
)

from core_api.accounts.repository import AccountRepository
from core_api.db import DbSession
from core_api.identity.dependencies import CurrentUser, ServiceCaller
from core_api.journal.repository import JournalRepository
from core_api.journal.service import create_entry, to_entry, update_entry
from core_api.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT, Cursor
from core_api.kit.tracing import Traceparent

public = APIRouter(tags=["journal"])
internal = APIRouter(tags=["journal"])

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]


def _page(
    repository: JournalRepository,
    cursor: str | None,
    limit: int,
    position_id: uuid.UUID | None = None,
    day: dt.date | None = None,
    text: str | None = None,
    tag: str | None = None,
    account_id: uuid.UUID | None = None,
) -> JournalEntryPage:
    if account_id is not None:
        AccountRepository(repository.session, repository.user_id).get(account_id)
    after = Cursor.decode(cursor) if cursor else None
    records = repository.page(
        after,
        limit + 1,
        position_id=position_id,
        day=day,
        text=text,
        tag=tag,
        account_id=account_id,
    )
    items = records[:limit]
    next_cursor = (
        Cursor(items[-1].created_at, items[-1].id).encode() if len(records) > limit else None
    )
    return JournalEntryPage(items=[to_entry(record) for record in items], next_cursor=next_cursor)


@public.post("/v1/journal/entries", status_code=201)
def add_journal_entry(
    body: JournalEntryCreate, user: CurrentUser, session: DbSession, traceparent: Traceparent
) -> JournalEntry:
    """Save a reflection on a day or a position."""
    return to_entry(create_entry(session, user.id, body, traceparent))


@public.patch("/v1/journal/entries/{entry_id}")
def change_journal_entry(
    entry_id: uuid.UUID,
    body: JournalEntryUpdate,
    user: CurrentUser,
    session: DbSession,
    traceparent: Traceparent,
) -> JournalEntry:
    """Change an entry's text, mood or tags."""
    return to_entry(update_entry(session, user.id, entry_id, body, traceparent))


@public.get("/v1/journal/entries")
def list_journal_entries(
    user: CurrentUser,
    session: DbSession,
    position_id: uuid.UUID | None = None,
    day: dt.date | None = None,
    q: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    tag: Annotated[str | None, Query(min_length=1, max_length=50)] = None,
    account_id: Annotated[
        uuid.UUID | None,
        Query(description="Entries on its positions, and day entries of days it traded."),
    ] = None,
    cursor: str | None = None,
    limit: Limit = DEFAULT_LIMIT,
) -> JournalEntryPage:
    """The trader's journal entries, newest first; `q` searches the text, `tag` the tags."""
    repository = JournalRepository(session, user.id)
    return _page(repository, cursor, limit, position_id, day, q, tag, account_id)


@internal.get("/internal/users/{user_id}/journal/entries")
def list_journal_entries_for_service(
    user_id: uuid.UUID,
    _caller: ServiceCaller,
    session: DbSession,
    cursor: str | None = None,
    limit: Limit = DEFAULT_LIMIT,
) -> JournalEntryPage:
    """A trader's journal entries, newest first."""
    return _page(JournalRepository(session, user_id), cursor, limit)
