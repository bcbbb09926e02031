"""Executions, with their instrument and where they came from."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Row, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column
from tradeloop_contracts import Instrument

from core_api.kit.models import Entity


class ExecutionRecord(Entity):
    __tablename__ = "executions"
    __table_args__ = (
        UniqueConstraint("account_id", "broker_execution_id"),
        UniqueConstraint("account_id", "fingerprint"),
        # A rematch reads an instrument's fills from a time on.
        Index(
            "ix_executions_account_instrument_time",
            "account_id",
            "asset_class",
            "symbol",
            "executed_at",
        ),
        # An import settles from its instruments' earliest fills, read from this alone.
        Index(
            "ix_executions_import_instrument_time",
            "import_id",
            "asset_class",
            "symbol",
            "executed_at",
        ),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    import_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("imports.id", ondelete="SET NULL")
    )
    broker_execution_id: Mapped[str | None] = mapped_column(String(128))
    fingerprint: Mapped[str | None] = mapped_column(String(128))
    # Ties in time are broken by broker id, then by the order core received the fills.
    recorded_order: Mapped[int] = mapped_column(BigInteger)
    executed_at: Mapped[dt.datetime]
    utc_offset_minutes: Mapped[int] = mapped_column(default=0)
    asset_class: Mapped[str] = mapped_column(String(16))
    symbol: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    multiplier: Mapped[Decimal]
    underlying: Mapped[str | None] = mapped_column(String(32))
    expiry: Mapped[dt.date | None]
    strike: Mapped[Decimal | None]
    option_right: Mapped[str | None] = mapped_column(String(4))
    root: Mapped[str | None] = mapped_column(String(16))
    exchange: Mapped[str | None] = mapped_column(String(16))
    tick_size: Mapped[Decimal | None]
    # Instrument fields filled from the contract specs rather than sent ("multiplier,currency"),
    # so a change of the account's specs can replace them; NULL for fills stored before.
    spec_fields: Mapped[str | None] = mapped_column(String(64))
    side: Mapped[str] = mapped_column(String(4))
    quantity: Mapped[Decimal]
    price: Mapped[Decimal]
    commission: Mapped[Decimal]
    fees: Mapped[Decimal]
    # broker: commission and fees as reported; schedule: the source reported none and
    # `commission` is the account's fee schedule's cost; none: no costs reported or scheduled.
    fee_source: Mapped[str] = mapped_column(String(8), default="broker", server_default="broker")
    fx_rate_to_base: Mapped[Decimal | None]
    order_id: Mapped[str | None] = mapped_column(String(128))
    open_close: Mapped[str | None] = mapped_column(String(5))
    kind: Mapped[str] = mapped_column(String(16))
    source_line: Mapped[int | None]
    # import, broker (a broker sync) or manual (entered by hand).
    source: Mapped[str] = mapped_column(String(8), default="import")
    note: Mapped[str | None] = mapped_column(Text)

    def instrument(self) -> Instrument:
        """What was traded, as the contracts describe it."""
        return instrument_of(self)

    def key(self) -> FillKey:
        """The fill's identity in its account (see `FillKey`)."""
        return fill_key(self.broker_execution_id, self.fingerprint)


FillKey = tuple[str | None, str | None]


def fill_key(broker_execution_id: str | None, fingerprint: str | None) -> FillKey:
    """A fill's identity in its account, as its source reports it again on a re-import:
    the broker's id when there is one, otherwise the fingerprint."""
    return (broker_execution_id, None) if broker_execution_id else (None, fingerprint)


class ExecutionEditRecord(Entity):
    """The trader's changes over one fill, kept by the fill's identity rather than its row,
    so they outlive the row: a re-import of the fill gets them back, and a fill deleted by
    hand (`deleted`) is not imported again."""

    __tablename__ = "execution_edits"
    __table_args__ = (
        UniqueConstraint("account_id", "broker_execution_id"),
        UniqueConstraint("account_id", "fingerprint"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    broker_execution_id: Mapped[str | None] = mapped_column(String(128))
    fingerprint: Mapped[str | None] = mapped_column(String(128))
    # Per edited field: {"original": as the source reported it, "value": the trader's}, both
    # as strings (decimals, ISO times with their offset) or null.
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    deleted: Mapped[bool] = mapped_column(default=False)

    def key(self) -> FillKey:
        return (self.broker_execution_id, self.fingerprint)


def instrument_of(fill: ExecutionRecord | Row[*tuple[Any, ...]]) -> Instrument:
    """The instrument of a stored fill, or of a row holding its instrument columns."""
    return Instrument.model_validate(
        {
            "asset_class": fill.asset_class,
            "symbol": fill.symbol,
            "currency": fill.currency,
            "multiplier": fill.multiplier,
            "underlying": fill.underlying,
            "expiry": fill.expiry,
            "strike": fill.strike,
            "right": fill.option_right,
            "root": fill.root,
            "exchange": fill.exchange,
            "tick_size": fill.tick_size,
        }
    )
