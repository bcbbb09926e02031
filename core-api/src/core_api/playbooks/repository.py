"""Every playbook query, scoped to one trader."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core_api.errors import NotFoundError
from core_api.playbooks.models import (
    PlaybookCriterionRecord,
    PlaybookRecord,
    PositionCriterionRecord,
    PositionPlaybookRecord,
)
from core_api.positions.models import PositionRecord


@dataclass(frozen=True)
class Tally:
    """How many positions follow a playbook and how many criteria ticks they hold."""

    positions: int = 0
    met: int = 0


@dataclass(frozen=True)
class PlaybookRepository:
    """The playbooks of one trader; another trader's ids are not found."""

    session: Session
    user_id: uuid.UUID

    def get(self, playbook_id: uuid.UUID) -> PlaybookRecord:
        """The trader's playbook; NotFoundError when it is missing or someone else's."""
        record = self.session.scalar(
            select(PlaybookRecord).where(
                PlaybookRecord.id == playbook_id, PlaybookRecord.user_id == self.user_id
            )
        )
        if record is None:
            raise NotFoundError("playbook")
        return record

    def all(self) -> Sequence[PlaybookRecord]:
        """Every playbook of the trader: archived ones last, then by name."""
        return self.session.scalars(
            select(PlaybookRecord)
            .where(PlaybookRecord.user_id == self.user_id)
            .order_by(PlaybookRecord.archived, PlaybookRecord.key)
        ).all()

    def has_name(self, name: str, other_than: uuid.UUID | None = None) -> bool:
        """True when another of the trader's playbooks has this name (in any case)."""
        statement = select(PlaybookRecord.id).where(
            PlaybookRecord.user_id == self.user_id, PlaybookRecord.key == name.lower()
        )
        if other_than is not None:
            statement = statement.where(PlaybookRecord.id != other_than)
        return self.session.scalar(statement) is not None

    def criteria(
        self, playbook_ids: Collection[uuid.UUID]
    ) -> dict[uuid.UUID, list[PlaybookCriterionRecord]]:
        """The criteria of each playbook in list order (one query)."""
        rows = self.session.scalars(
            select(PlaybookCriterionRecord)
            .join(PlaybookRecord, PlaybookRecord.id == PlaybookCriterionRecord.playbook_id)
            .where(
                PlaybookRecord.user_id == self.user_id,
                PlaybookCriterionRecord.playbook_id.in_(playbook_ids),
            )
            .order_by(PlaybookCriterionRecord.rank)
        ).all()
        criteria: dict[uuid.UUID, list[PlaybookCriterionRecord]] = defaultdict(list)
        for row in rows:
            criteria[row.playbook_id].append(row)
        return criteria

    def tallies(
        self, playbook_ids: Collection[uuid.UUID], account_id: uuid.UUID | None = None
    ) -> dict[uuid.UUID, Tally]:
        """Positions and ticks per playbook, of one account's positions when `account_id`
        is given (two grouped queries)."""
        chosen = [PositionPlaybookRecord.playbook_id.in_(playbook_ids)]
        if account_id is not None:
            chosen.append(
                PositionPlaybookRecord.position_id.in_(
                    select(PositionRecord.id).where(
                        PositionRecord.user_id == self.user_id,
                        PositionRecord.account_id == account_id,
                    )
                )
            )
        positions = dict(
            self.session.execute(
                select(PositionPlaybookRecord.playbook_id, func.count())
                .where(*chosen)
                .group_by(PositionPlaybookRecord.playbook_id)
            ).all()
        )
        met = dict(
            self.session.execute(
                select(PositionPlaybookRecord.playbook_id, func.count())
                .join(
                    PositionCriterionRecord,
                    PositionCriterionRecord.position_id == PositionPlaybookRecord.position_id,
                )
                .where(*chosen)
                .group_by(PositionPlaybookRecord.playbook_id)
            ).all()
        )
        return {
            playbook_id: Tally(positions.get(playbook_id, 0), met.get(playbook_id, 0))
            for playbook_id in playbook_ids
        }

    def of_positions(
        self, position_ids: Collection[uuid.UUID]
    ) -> dict[uuid.UUID, tuple[PlaybookRecord, list[uuid.UUID]]]:
        """Each listed position that follows one of the trader's playbooks: the playbook
        and the ids of the criteria it met (two queries)."""
        if not position_ids:
            return {}
        followed = self.session.execute(
            select(PositionPlaybookRecord.position_id, PlaybookRecord)
            .join(PlaybookRecord, PlaybookRecord.id == PositionPlaybookRecord.playbook_id)
            .where(
                PlaybookRecord.user_id == self.user_id,
                PositionPlaybookRecord.position_id.in_(position_ids),
            )
        ).all()
        playbooks = dict(followed)
        ticks: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
        for position_id, criterion_id in self.session.execute(
            select(PositionCriterionRecord.position_id, PositionCriterionRecord.criterion_id)
            .join(
                PlaybookCriterionRecord,
                PlaybookCriterionRecord.id == PositionCriterionRecord.criterion_id,
            )
            .where(PositionCriterionRecord.position_id.in_(playbooks))
            .order_by(PlaybookCriterionRecord.rank)
        ):
            ticks[position_id].append(criterion_id)
        return {
            position_id: (playbook, ticks[position_id])
            for position_id, playbook in playbooks.items()
        }
