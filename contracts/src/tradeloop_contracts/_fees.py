"""Fee schedules: an account's costs for exports that report none."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from pydantic import Field

from ._base import Amount, RequestBody, ResponseBody, Timestamp
from ._instruments import AssetClass


class FeeRule(RequestBody):
    """Costs of one asset class, or of one contract root or symbol in it, per fill.

    `root` names a futures root (ES, not ESZ6) or an option's underlying; absent, the rule
    covers the whole asset class. The most specific rule applies. A fill's cost is
    per_contract × contracts + per_share × shares + per_order, at least `minimum`.
    """

    asset_class: AssetClass
    root: str | None = Field(default=None, min_length=1, max_length=32)
    per_contract: Amount = Field(default=Decimal(0), ge=0)
    per_share: Amount = Field(default=Decimal(0), ge=0)
    per_order: Amount = Field(default=Decimal(0), ge=0)
    minimum: Amount = Field(default=Decimal(0), ge=0)


class FeeScheduleUpdate(RequestBody):
    """An account's whole fee schedule; saving it recomputes the fills it applies to."""

    rules: list[FeeRule] = Field(max_length=200)


class FeeSchedule(ResponseBody):
    """An account's fee schedule."""

    account_id: UUID
    rules: list[FeeRule]
    updated_at: Timestamp | None = None
