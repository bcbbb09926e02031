# Generated from tradeloop-contracts-schemas-1.6.0.tar.gz (responses/ViolationPage.json) by
# tools/generate_contracts.py with datamodel-code-generator. Do not edit by hand:
# change the pinned version in pyproject.toml and run `make generate`.

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class Violation(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    allowed: Annotated[str, Field(title="Allowed")]
    cost: Annotated[Decimal, Field(title="Cost")]
    currency: Annotated[str, Field(pattern="^[A-Z]{3}$", title="Currency")]
    day: Annotated[date | None, Field(title="Day")] = None
    detected_at: Annotated[AwareDatetime, Field(title="Detected At")]
    id: Annotated[UUID, Field(title="Id")]
    observed: Annotated[str, Field(title="Observed")]
    plan_version: Annotated[int, Field(title="Plan Version")]
    position_id: Annotated[UUID | None, Field(title="Position Id")] = None
    rule_id: Annotated[UUID, Field(title="Rule Id")]
    rule_kind: Annotated[
        Literal[
            "max_daily_loss",
            "max_trades_per_day",
            "max_position_size",
            "max_risk_per_trade",
            "trading_window",
            "cooldown_after_loss",
            "max_consecutive_losses",
            "symbols",
            "journal_required",
            "trailing_drawdown",
            "consistency",
            "min_trading_days",
            "max_open_contracts",
            "custom",
        ],
        Field(title="Rule Kind"),
    ]


class ViolationPage(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    items: Annotated[list[Violation], Field(title="Items")]
    next_cursor: Annotated[
        str | None,
        Field(description="Opaque; pass back as `cursor`.", title="Next Cursor"),
    ] = None
