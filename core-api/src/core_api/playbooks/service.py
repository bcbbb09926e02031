"""Creating and editing playbooks, putting positions under them, and their adherence.

Adherence: a position under a playbook is checked against every criterion the playbook
holds now and meets the ones ticked for it. Its adherence is met / checked; a playbook's
`adherence_rate` is the criteria met over the criteria checked across its positions
(half-even to 4 places, absent when nothing was checked).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence

from sqlalchemy import Select, delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from tradeloop_contracts import (
    DefaultStop,
    Playbook,
    PlaybookCreate,
    PlaybookCriterion,
    PlaybookCriterionIn,
    PlaybookUpdate,
    PositionPlaybook,
    PositionPlaybookSet,
)

from core_api.errors import AppError, FieldError
from core_api.playbooks.models import (
    PlaybookCriterionRecord,
    PlaybookRecord,
    PositionCriterionRecord,
    PositionPlaybookRecord,
)
from core_api.playbooks.repository import PlaybookRepository, Tally
from core_api.positions.models import PositionRecord
from core_api.positions.repository import PositionRepository
from core_api.positions.stops import (
    reapply_rules,
    rule_problems,
    set_rule,
    stop_columns,
    stored_rule,
    to_default_stop,
)
from core_api.statistics.calculations import rate


def list_playbooks(
    session: Session, user_id: uuid.UUID, account_id: uuid.UUID | None = None
) -> list[Playbook]:
    """Every playbook of the trader with its criteria, positions and adherence (four
    queries); positions and adherence of one account's positions when `account_id` is given."""
    repository = PlaybookRepository(session, user_id)
    records = repository.all()
    ids = [record.id for record in records]
    criteria = repository.criteria(ids)
    tallies = repository.tallies(ids, account_id)
    return [to_playbook(record, criteria[record.id], tallies[record.id]) for record in records]


def read_playbook(session: Session, user_id: uuid.UUID, record: PlaybookRecord) -> Playbook:
    """One playbook of the trader with its criteria, positions and adherence."""
    repository = PlaybookRepository(session, user_id)
    criteria = repository.criteria([record.id])
    return to_playbook(record, criteria[record.id], repository.tallies([record.id])[record.id])


def create_playbook(session: Session, user_id: uuid.UUID, body: PlaybookCreate) -> PlaybookRecord:
    """The new playbook; 409 naming `body.name` when the trader has one of that name,
    422 naming the field for a blank name, a bad criterion (see `_replace_criteria`) or a
    default stop of 100 percent or more."""
    _check_rule(body.default_stop)
    record = PlaybookRecord(
        user_id=user_id,
        archived=False,
        description=body.description,
        **stop_columns(body.default_stop),
    )
    _rename(session, record, body.name)
    _replace_criteria(session, record, body.criteria)
    return record


def update_playbook(session: Session, record: PlaybookRecord, body: PlaybookUpdate) -> bool:
    """Applies the fields sent; criteria, when sent, replace the list (ids keep theirs), and
    a default stop sent as null is cleared. A changed default stop is applied to the
    playbook's positions at once; whether it moved the stop of some position (the plan
    may judge again). 422 naming `body.default_stop.distance` for 100 percent or more."""
    _check_rule(body.default_stop)
    if body.name is not None:
        _rename(session, record, body.name)
    if "description" in body.model_fields_set:
        record.description = body.description
    if body.archived is not None:
        record.archived = body.archived
    if body.criteria is not None:
        _replace_criteria(session, record, body.criteria)
    moved = False
    if "default_stop" in body.model_fields_set and set_rule(record, body.default_stop):
        moved = reapply_rules(
            session, record.user_id, PositionRecord.id.in_(_positions_of(record.id))
        )
    session.flush()
    return moved


def remove_playbook(session: Session, record: PlaybookRecord) -> bool:
    """Deletes the playbook; its positions stay, under no playbook, and take the account's
    default stop instead of its own. Whether that moved some position's stop."""
    followed = list(session.scalars(_positions_of(record.id)))
    session.delete(record)
    session.flush()
    return reapply_rules(session, record.user_id, PositionRecord.id.in_(followed))


def set_position_playbook(
    session: Session, user_id: uuid.UUID, position_id: uuid.UUID, body: PositionPlaybookSet
) -> bool:
    """Puts the trader's position under a playbook with the criteria it met, or under none;
    whether that moved its stop (the playbook's default stop comes before the account's).

    NotFoundError for another trader's position or playbook; 422 naming
    `body.criteria_met.<i>` for a criterion of another playbook or one listed twice, and
    `body.criteria_met` when criteria come without a playbook.
    """
    PositionRepository(session, user_id).get(position_id)
    met: list[uuid.UUID] = []
    if body.playbook_id is not None:
        playbook = PlaybookRepository(session, user_id).get(body.playbook_id)
        met = _checked_criteria(session, user_id, playbook, body.criteria_met)
    elif body.criteria_met:
        raise _invalid("body.criteria_met", "criteria need a playbook_id")
    # The playbook row goes first: its ticks go with it (ON DELETE CASCADE).
    session.execute(
        delete(PositionPlaybookRecord).where(PositionPlaybookRecord.position_id == position_id)
    )
    if body.playbook_id is not None:
        session.execute(
            insert(PositionPlaybookRecord).values(
                position_id=position_id, playbook_id=body.playbook_id
            )
        )
    if met:
        session.execute(
            insert(PositionCriterionRecord),
            [{"position_id": position_id, "criterion_id": criterion} for criterion in met],
        )
    return reapply_rules(session, user_id, PositionRecord.id == position_id)


def position_playbooks(
    session: Session, user_id: uuid.UUID, position_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, PositionPlaybook]:
    """The playbook of each listed position that follows one, in three queries however
    many positions are listed."""
    repository = PlaybookRepository(session, user_id)
    followed = repository.of_positions(position_ids)
    criteria = repository.criteria({playbook.id for playbook, _ in followed.values()})
    return {
        position_id: PositionPlaybook(
            playbook_id=playbook.id,
            name=playbook.name,
            criteria_met=met,
            criteria_total=len(criteria[playbook.id]),
            adherence=rate(len(met), len(criteria[playbook.id])),
        )
        for position_id, (playbook, met) in followed.items()
    }


def to_playbook(
    record: PlaybookRecord, criteria: Sequence[PlaybookCriterionRecord], tally: Tally
) -> Playbook:
    return Playbook(
        id=record.id,
        name=record.name,
        description=record.description,
        criteria=[PlaybookCriterion(id=item.id, text=item.text) for item in criteria],
        archived=record.archived,
        default_stop=to_default_stop(stored_rule(record)),
        positions=tally.positions,
        adherence_rate=rate(tally.met, tally.positions * len(criteria)),
        created_at=record.created_at,
        updated_at=record.updated_at,
    )


def _rename(session: Session, record: PlaybookRecord, name: str) -> None:
    name = name.strip()
    if not name:
        raise _invalid("body.name", "is blank")
    repository = PlaybookRepository(session, record.user_id)
    conflict = AppError(
        409,
        "Playbook exists",
        "The trader already has a playbook of that name.",
        errors=[FieldError("body.name", "the trader already has a playbook of this name")],
    )
    if repository.has_name(name, other_than=record.id):
        raise conflict
    record.name = name
    record.key = name.lower()
    try:
        with session.begin_nested():
            session.add(record)
            session.flush()
    except IntegrityError as error:  # the same name saved at the same moment
        raise conflict from error


def _replace_criteria(
    session: Session, record: PlaybookRecord, items: Sequence[PlaybookCriterionIn]
) -> None:
    """Makes `items` the playbook's criteria, in order: an item with the id of one of
    its criteria keeps that criterion (and its ticks), the others are new, and criteria
    left out are removed with their ticks.

    422 naming `body.criteria.<i>.id` for an id that is not one of this playbook's
    criteria or is sent twice, `body.criteria.<i>.text` for a blank or repeated text.
    """
    current = {
        item.id: item
        for item in PlaybookRepository(session, record.user_id).criteria([record.id])[record.id]
    }
    seen_ids: set[uuid.UUID] = set()
    seen_texts: set[str] = set()
    for index, item in enumerate(items):
        text = item.text.strip()
        if not text:
            raise _invalid(f"body.criteria.{index}.text", "is blank")
        if text.lower() in seen_texts:
            raise _invalid(f"body.criteria.{index}.text", "the playbook already lists it")
        seen_texts.add(text.lower())
        if item.id is not None and item.id not in current:
            raise _invalid(f"body.criteria.{index}.id", "not a criterion of this playbook")
        if item.id in seen_ids:
            raise _invalid(f"body.criteria.{index}.id", "listed twice")
        if item.id is not None:
            seen_ids.add(item.id)
    removed = set(current) - seen_ids
    if removed:
        session.execute(
            delete(PlaybookCriterionRecord).where(PlaybookCriterionRecord.id.in_(removed))
        )
    for rank, item in enumerate(items):
        criterion = current.get(item.id) if item.id is not None else None
        if criterion is None:
            criterion = PlaybookCriterionRecord(playbook_id=record.id)
            session.add(criterion)
        criterion.text = item.text.strip()
        criterion.rank = rank
    session.flush()


def _checked_criteria(
    session: Session, user_id: uuid.UUID, playbook: PlaybookRecord, met: Sequence[uuid.UUID]
) -> list[uuid.UUID]:
    known = {
        item.id
        for item in PlaybookRepository(session, user_id).criteria([playbook.id])[playbook.id]
    }
    seen: set[uuid.UUID] = set()
    for index, criterion in enumerate(met):
        if criterion not in known:
            raise _invalid(f"body.criteria_met.{index}", "not a criterion of this playbook")
        if criterion in seen:
            raise _invalid(f"body.criteria_met.{index}", "listed twice")
        seen.add(criterion)
    return list(met)


def _check_rule(stop: DefaultStop | None) -> None:
    problems = rule_problems(stop, "body.default_stop.distance")
    if problems:
        raise AppError(422, "Invalid request", errors=problems)


def _positions_of(playbook_id: uuid.UUID) -> Select[uuid.UUID]:
    """The ids of the positions that follow the playbook."""
    return select(PositionPlaybookRecord.position_id).where(
        PositionPlaybookRecord.playbook_id == playbook_id
    )


def _invalid(location: str, message: str) -> AppError:
    return AppError(422, "Invalid request", errors=[FieldError(location, message)])
