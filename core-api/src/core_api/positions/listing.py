"""Position list filters, sorts and their keyset cursors.

Every sort pages by (value, id) in the sort's direction, positions without a value
(open positions when sorting by `closed_at`) last, so pages never skip or repeat a
position while the list does not change.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal, get_args

from sqlalchemy import ColumnElement, Float, and_, case, cast, literal, or_
from sqlalchemy.orm import InstrumentedAttribute

from core_api.errors import AppError, FieldError
from core_api.positions.models import PositionRecord

Sort = Literal[
    "opened_at", "-opened_at", "closed_at", "-closed_at", "realised_pnl_net", "-realised_pnl_net"
]
SORTS: tuple[str, ...] = get_args(Sort)
DEFAULT_SORT: Sort = "-opened_at"
SortValue = dt.datetime | Decimal | None


@dataclass(frozen=True)
class PositionFilters:
    """What a position list keeps; None keeps everything. Days are trading days, inclusive."""

    status: str | None = None
    account_id: uuid.UUID | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    symbol: str | None = None
    direction: str | None = None
    asset_class: str | None = None
    outcome: str | None = None
    tag: str | None = None
    rule_id: uuid.UUID | None = None
    playbook_id: uuid.UUID | None = None

    def check(self) -> None:
        """Raises a 422 problem naming `query.start` when start is after end."""
        if self.start is not None and self.end is not None and self.start > self.end:
            raise AppError(
                422, "Invalid request", errors=[FieldError("query.start", "is after end")]
            )


@dataclass(frozen=True)
class PositionCursor:
    """The last item of a page under one sort: its sort value and id."""

    sort: str
    value: SortValue
    id: uuid.UUID

    def encode(self) -> str:
        value: str | None
        if isinstance(self.value, dt.datetime):
            value = self.value.isoformat()
        elif isinstance(self.value, Decimal):
            value = format(self.value, "f")
        else:
            value = None
        raw = json.dumps({"s": self.sort, "v": value, "id": str(self.id)}).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str, sort: str) -> PositionCursor:
        """The cursor a previous page of the same sort handed out; otherwise a 400 problem."""
        try:
            data = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
            if data["s"] != sort:
                raise ValueError("cursor of another sort")
            raw = data["v"]
            value: SortValue = None
            if raw is not None and _field(sort) == "realised_pnl_net":
                value = Decimal(raw)
            elif raw is not None:
                value = dt.datetime.fromisoformat(raw)
                if value.tzinfo is None:
                    raise ValueError("naive")
            return cls(sort=sort, value=value, id=uuid.UUID(data["id"]))
        except (ValueError, KeyError, TypeError, InvalidOperation) as error:
            raise AppError(
                400,
                "Invalid cursor",
                errors=[
                    FieldError("query.cursor", "not a cursor this API handed out for this sort")
                ],
            ) from error

    @classmethod
    def after(cls, record: PositionRecord, sort: str) -> PositionCursor:
        value: SortValue = getattr(record, _field(sort))
        return cls(sort=sort, value=value, id=record.id)


def _field(sort: str) -> str:
    return sort.removeprefix("-")


def _column(sort: str) -> InstrumentedAttribute[object]:
    column: InstrumentedAttribute[object] = getattr(PositionRecord, _field(sort))
    return column


def _comparable(sort: str, dialect: str, value: SortValue = None) -> ColumnElement[object]:
    """The column (or a bound value) as the database orders it.

    SQLite keeps decimals as text, which sorts "10" before "9"; there the amount is
    ordered as a float. Equal text gives an equal float, so ties still fall to the id.
    """
    column = _column(sort)
    numeric = _field(sort) == "realised_pnl_net" and dialect == "sqlite"
    if value is None:
        return cast(column, Float) if numeric else column  # type: ignore[return-value]
    if numeric:
        assert isinstance(value, Decimal)
        return literal(float(value), Float)
    return literal(value, column.type)


def order_by(sort: str, dialect: str) -> list[ColumnElement[object]]:
    """ORDER BY terms of a sort: missing values last, then value, then id."""
    column = _column(sort)
    value = _comparable(sort, dialect)
    missing = case((column.is_(None), 1), else_=0)
    if sort.startswith("-"):
        return [missing.asc(), value.desc(), PositionRecord.id.desc()]  # type: ignore[list-item]
    return [missing.asc(), value.asc(), PositionRecord.id.asc()]  # type: ignore[list-item]


def after_cursor(cursor: PositionCursor, dialect: str) -> ColumnElement[bool]:
    """Rows that come after the cursor's item under its sort."""
    column = _column(cursor.sort)
    descending = cursor.sort.startswith("-")
    later_id = PositionRecord.id < cursor.id if descending else PositionRecord.id > cursor.id
    if cursor.value is None:
        return and_(column.is_(None), later_id)
    value = _comparable(cursor.sort, dialect)
    bound = _comparable(cursor.sort, dialect, cursor.value)
    beyond = value < bound if descending else value > bound
    return or_(
        and_(column.is_not(None), or_(beyond, and_(value == bound, later_id))),
        column.is_(None),
    )
