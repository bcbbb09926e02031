"""The trader's tags."""

from __future__ import annotations

from fastapi import APIRouter
from tradeloop_contracts import Tag, TagCreate, TagList

from core_api.db import DbSession
from core_api.identity.dependencies import CurrentUser
from core_api.tags.service import create_tag, list_tags, to_tag

router = APIRouter(tags=["tags"])


@router.get("/v1/tags")
def get_tags(user: CurrentUser, session: DbSession) -> TagList:
    """The trader's tags: setups, mistakes, emotions and their own."""
    return TagList(items=[to_tag(record) for record in list_tags(session, user.id)])


@router.post("/v1/tags", status_code=201)
def add_tag(body: TagCreate, user: CurrentUser, session: DbSession) -> Tag:
    """Add a tag of the trader's own."""
    return to_tag(create_tag(session, user.id, body))
