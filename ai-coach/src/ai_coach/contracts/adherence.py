# Generated from tradeloop-contracts-schemas-1.6.0.tar.gz (responses/Adherence.json) by
# tools/generate_contracts.py with datamodel-code-generator. Do not edit by hand:
# change the pinned version in pyproject.toml and run `make generate`.

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class Cost(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    amount: Annotated[Decimal, Field(title="Amount")]
    currency: Annotated[str, Field(pattern="^[A-Z]{3}$", title="Currency")]


class PnlWithoutViolations(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    currency: Annotated[str, Field(pattern="^[A-Z]{3}$", title="Currency")]
    net_pnl: Annotated[Decimal, Field(title="Net Pnl")]
    net_pnl_without_violations: Annotated[Decimal, Field(title="Net Pnl Without Violations")]
    violating_positions: Annotated[int, Field(ge=0, title="Violating Positions")]


class RuleAdherence(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    adherence_rate: Annotated[
        Decimal | None,
        Field(
            description="(evaluated − violated) / evaluated, 0..1; absent if none.",
            title="Adherence Rate",
        ),
    ] = None
    costs: Annotated[
        list[Cost] | None, Field(description="One entry per currency.", title="Costs")
    ] = None
    evaluated: Annotated[
        int,
        Field(
            description="Positions or days the rule was checked on.",
            ge=0,
            title="Evaluated",
        ),
    ]
    kind: Annotated[
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
        Field(title="Kind"),
    ]
    name: Annotated[str | None, Field(title="Name")] = None
    rule_id: Annotated[UUID, Field(title="Rule Id")]
    violated: Annotated[int, Field(ge=0, title="Violated")]


class Adherence(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    adherence_rate: Annotated[
        Decimal | None,
        Field(
            description="Compliant checks over all checks, 0..1; absent if none.",
            title="Adherence Rate",
        ),
    ] = None
    current_streak_days: Annotated[
        int,
        Field(
            description="Trading days without a violation, now.",
            ge=0,
            title="Current Streak Days",
        ),
    ]
    longest_streak_days: Annotated[int, Field(ge=0, title="Longest Streak Days")]
    period_end: Annotated[date | None, Field(title="Period End")] = None
    period_start: Annotated[date | None, Field(title="Period Start")] = None
    pnl: Annotated[
        list[PnlWithoutViolations] | None,
        Field(description="One entry per currency.", title="Pnl"),
    ] = None
    rules: Annotated[list[RuleAdherence], Field(title="Rules")]
