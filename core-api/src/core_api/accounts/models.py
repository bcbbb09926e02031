"""Accounts, and the futures contract specs and fee schedule an account sets for itself."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core_api.kit.models import Entity


class AccountRecord(Entity):
    __tablename__ = "accounts"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    broker: Mapped[str] = mapped_column(String(50))
    account_number_masked: Mapped[str | None] = mapped_column(String(64))
    base_currency: Mapped[str] = mapped_column(String(3))
    time_zone: Mapped[str] = mapped_column(String(64))
    matching_method: Mapped[str] = mapped_column(String(16))
    breakeven_band: Mapped[Decimal]
    # Cash before the first recorded trade, and one R; limits in % and R read them.
    starting_balance: Mapped[Decimal | None]
    risk_unit: Mapped[Decimal | None]
    # The default stop rule R assumes for a position without the trader's stop (see
    # positions.stops): both set or neither.
    default_stop_kind: Mapped[str | None] = mapped_column(String(8))
    default_stop_distance: Mapped[Decimal | None]
    # When the fee schedule (`FeeRuleRecord`) was last saved; None while it has never been.
    fee_schedule_updated_at: Mapped[dt.datetime | None]


class CashMovementRecord(Entity):
    """A deposit (positive) or withdrawal (negative) in the account's base currency."""

    __tablename__ = "cash_movements"
    __table_args__ = (Index("ix_cash_movements_account_occurred", "account_id", "occurred_at"),)

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    occurred_at: Mapped[dt.datetime]
    amount: Mapped[Decimal]
    note: Mapped[str | None] = mapped_column(String(500))


class ContractSpecOverrideRecord(Entity):
    """An account's own spec of a futures root, used instead of the built-in table's."""

    __tablename__ = "contract_spec_overrides"
    __table_args__ = (UniqueConstraint("account_id", "root"),)

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    root: Mapped[str] = mapped_column(String(16))
    point_value: Mapped[Decimal]
    tick_size: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3))
    exchange: Mapped[str | None] = mapped_column(String(16))
    session: Mapped[str | None] = mapped_column(String(16))


class FeeRuleRecord(Entity):
    """One rule of an account's fee schedule: costs of an asset class, or of one root in it."""

    __tablename__ = "fee_rules"
    __table_args__ = (Index("ix_fee_rules_account_rank", "account_id", "rank"),)

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    # The rule's place in the schedule as the trader gave it.
    rank: Mapped[int]
    asset_class: Mapped[str] = mapped_column(String(16))
    root: Mapped[str | None] = mapped_column(String(32))
    per_contract: Mapped[Decimal]
    per_share: Mapped[Decimal]
    per_order: Mapped[Decimal]
    minimum: Mapped[Decimal]
