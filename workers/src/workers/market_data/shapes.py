"""Core's market data bodies, as contracts 1.2.0 defines them.

Held here until the workers pin reaches contracts 1.2.0, then imported from there.
"""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field
from tradeloop_contracts import Amount, BarInterval, BarSeries, Currency


class PositionExcursions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mae: Amount
    mfe: Amount
    mae_price: Amount
    mfe_price: Amount
    currency: Currency
    interval: BarInterval


class PositionBars(BarSeries):
    position_id: UUID
    complete: bool = Field(description="False when the bars do not cover the whole holding.")
