"""Adding and removing tags on many positions at once, all or nothing."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.orm import Session
from tradeloop_contracts import PositionTagsChange

from core_api.errors import AppError, FieldError, NotFoundError
from core_api.positions.models import PositionRecord
from core_api.positions.repository import PositionRepository
from core_api.positions.service import clean_tags, replace_tag_rows
from core_api.tags.service import register_tags


def change_tags(
    session: Session, user_id: uuid.UUID, body: PositionTagsChange
) -> Sequence[PositionRecord]:
    """The listed positions, in the order given, with the tags added and removed.

    Nothing changes unless everything can: NotFoundError when any id is not the trader's
    position; a 422 problem for a blank or over-long tag, a tag both added and removed, or
    a change with neither.
    """
    add = clean_tags(body.add, "body.add")
    remove = clean_tags(body.remove, "body.remove")
    if not add and not remove:
        raise AppError(
            422, "Invalid request", errors=[FieldError("body", "add or remove at least one tag")]
        )
    removed = {tag.lower() for tag in remove}
    clashes = [
        FieldError(f"body.remove.{index}", "is also added")
        for index, tag in enumerate(remove)
        if tag.lower() in {added.lower() for added in add}
    ]
    if clashes:
        raise AppError(422, "Invalid request", errors=clashes)
    ids = list(dict.fromkeys(body.position_ids))
    records = {
        record.id: record
        for record in PositionRepository(session, user_id).get_many(ids, for_update=True)
    }
    if len(records) != len(ids):
        raise NotFoundError("position")
    changed = []
    for record in records.values():
        tags = [tag for tag in record.tags if tag.lower() not in removed]
        held = {tag.lower() for tag in tags}
        tags += [tag for tag in add if tag.lower() not in held]
        if tags != record.tags:
            record.tags = tags
            changed.append(record)
    session.flush()
    replace_tag_rows(session, changed)
    register_tags(session, user_id, add)
    return [records[position_id] for position_id in ids]
