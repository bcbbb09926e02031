"""Many rows written at once: inserted, or updated by their id, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from core_api.kit.bulk import update_rows
from core_api.positions.models import PositionRecord
from tests.conftest import Trader, execution
from tests.positions.test_incremental import new_account, post

_POSITIONS = PositionRecord.metadata.tables["positions"]


def held_positions(session: Session, trader: Trader, count: int) -> list[uuid.UUID]:
    """The ids of `count` closed positions, one per symbol, in a new account."""
    account = new_account(session, trader, "fifo")
    post(
        session,
        account,
        [
            execution(f"{symbol}-{side}", side, "10", "100", f"2026-03-02T{hour}:00:00Z", symbol)
            for symbol in [f"S{index}" for index in range(count)]
            for side, hour in (("buy", 14), ("sell", 15))
        ],
    )
    return list(
        session.scalars(
            select(_POSITIONS.c.id)
            .where(_POSITIONS.c.account_id == account.id)
            .order_by(_POSITIONS.c.symbol)
        )
    )


class TestUpdateRows:
    def test_only_the_rows_named_change_and_only_in_the_columns_given(
        self, session: Session, trader: Trader
    ) -> None:
        first, second, untouched = held_positions(session, trader, 3)
        before = {
            row.id: row
            for row in session.execute(select(_POSITIONS).where(_POSITIONS.c.id == untouched))
        }

        update_rows(
            session,
            _POSITIONS,
            [
                {"id": first, "rule_stop": Decimal("99.25"), "tags": ["a"]},
                {"id": second, "rule_stop": None, "tags": []},
            ],
        )
        # The same columns again: the staging table is reused, emptied.
        update_rows(session, _POSITIONS, [{"id": second, "rule_stop": Decimal("1.5"), "tags": []}])

        rows = {
            row.id: row
            for row in session.execute(
                select(_POSITIONS).where(_POSITIONS.c.id.in_([first, second, untouched]))
            )
        }
        assert (rows[first].rule_stop, rows[first].tags) == (Decimal("99.25"), ["a"])
        assert (rows[second].rule_stop, rows[second].tags) == (Decimal("1.5"), [])
        assert rows[untouched] == before[untouched]
        assert (rows[first].symbol, rows[first].status) == ("S0", "closed")

    def test_rows_without_their_id_are_refused(self, session: Session) -> None:
        with pytest.raises(ValueError, match="must give its id"):
            update_rows(session, _POSITIONS, [{"rule_stop": Decimal(1)}])

    def test_an_unknown_id_changes_nothing(self, session: Session, trader: Trader) -> None:
        [held] = held_positions(session, trader, 1)
        update_rows(session, _POSITIONS, [{"id": uuid.uuid4(), "rule_stop": Decimal(5)}])
        stop = session.scalar(select(_POSITIONS.c.rule_stop).where(_POSITIONS.c.id == held))
        assert stop is None
