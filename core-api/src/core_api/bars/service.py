"""Storing the bars workers fetched for a position, and reading them back for its chart."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from tradeloop_contracts import PositionBars

from core_api.bars.models import PositionBarsRecord
from core_api.errors import AppError, FieldError
from core_api.positions.models import PositionRecord

# A month of one-minute bars around the clock; longer holdings take a longer interval.
MAX_BARS = 50_000
EMPTY_INTERVAL = "1m"


def store_bars(session: Session, position: PositionRecord, body: PositionBars) -> None:
    """Replaces the position's bars with `body`.

    A 422 problem naming `body.position_id` for another position's series, `body.bars` for
    more than MAX_BARS bars, or `body.bars.<i>.time` for a bar not after the one before.
    """
    problems = []
    if body.position_id != position.id:
        problems.append(FieldError("body.position_id", "is not the position in the path"))
    if len(body.bars) > MAX_BARS:
        problems.append(FieldError("body.bars", f"holds more than {MAX_BARS} bars"))
    problems += [
        FieldError(f"body.bars.{index}.time", "is not after the bar before it")
        for index in range(1, len(body.bars))
        if body.bars[index].time <= body.bars[index - 1].time
    ][:1]
    if problems:
        raise AppError(422, "Invalid request", errors=problems)
    record = session.scalar(
        select(PositionBarsRecord).where(PositionBarsRecord.position_id == position.id)
    )
    if record is None:
        record = PositionBarsRecord(position_id=position.id, user_id=position.user_id)
        session.add(record)
    record.symbol = body.symbol
    record.interval = body.interval
    record.complete = body.complete
    record.bars = [bar.model_dump(mode="json") for bar in body.bars]
    session.flush()


def position_bars(session: Session, position: PositionRecord) -> PositionBars:
    """The stored bars of the position; an empty, incomplete series when there are none."""
    record = session.scalar(
        select(PositionBarsRecord).where(PositionBarsRecord.position_id == position.id)
    )
    if record is None:
        return PositionBars(
            position_id=position.id,
            symbol=position.symbol,
            interval=EMPTY_INTERVAL,
            complete=False,
            bars=[],
        )
    return PositionBars.model_validate(
        {
            "position_id": position.id,
            "symbol": record.symbol,
            "interval": record.interval,
            "complete": record.complete,
            "bars": record.bars,
        }
    )
