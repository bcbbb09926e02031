"""Playbooks: named setups with checklist criteria, ticked per position."""

from __future__ import annotations

from uuid import UUID

from pydantic import Field

from ._accounts import DefaultStop
from ._base import Amount, RequestBody, ResponseBody, Timestamp

_DEFAULT_STOP = (
    "The stop R assumes for a position of this playbook with no stop set by the trader; "
    "it comes before the account's default stop."
)


class PlaybookCriterionIn(RequestBody):
    """One checklist item; an edit sends the id of an item it keeps, so its history follows."""

    id: UUID | None = None
    text: str = Field(min_length=1, max_length=200)


class PlaybookCreate(RequestBody):
    """A named setup and the criteria a trade of it should meet."""

    name: str = Field(min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=4000, description="Markdown.")
    criteria: list[PlaybookCriterionIn] = Field(default_factory=list, max_length=30)
    default_stop: DefaultStop | None = Field(default=None, description=_DEFAULT_STOP)


class PlaybookUpdate(RequestBody):
    """Fields of a playbook a trader may change; criteria, when sent, replace the list."""

    name: str | None = Field(default=None, min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=4000)
    criteria: list[PlaybookCriterionIn] | None = Field(default=None, max_length=30)
    archived: bool | None = None
    default_stop: DefaultStop | None = Field(default=None, description=_DEFAULT_STOP)


class PlaybookCriterion(ResponseBody):
    """A stored checklist item."""

    id: UUID
    text: str


class Playbook(ResponseBody):
    """A playbook, how many positions follow it, and how well they met its criteria."""

    id: UUID
    name: str
    description: str | None = None
    criteria: list[PlaybookCriterion]
    archived: bool = False
    default_stop: DefaultStop | None = Field(default=None, description=_DEFAULT_STOP)
    positions: int = Field(ge=0)
    adherence_rate: Amount | None = Field(
        default=None, description="Criteria met over criteria checked, 0..1; absent if none."
    )
    created_at: Timestamp
    updated_at: Timestamp


class PlaybookList(ResponseBody):
    """Every playbook of the trader, archived ones last."""

    items: list[Playbook]


class PositionPlaybookSet(RequestBody):
    """Puts a position under a playbook (or none) with the criteria it met."""

    playbook_id: UUID | None = None
    criteria_met: list[UUID] = Field(default_factory=list, max_length=30)


class PositionPlaybook(ResponseBody):
    """The playbook a position followed and which of its criteria it met."""

    playbook_id: UUID
    name: str
    criteria_met: list[UUID]
    criteria_total: int = Field(ge=0)
    adherence: Amount | None = Field(
        default=None, description="criteria_met / criteria_total, 0..1; absent with no criteria."
    )
