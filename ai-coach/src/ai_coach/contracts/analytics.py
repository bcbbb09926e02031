# Generated from tradeloop-contracts-schemas-1.6.0.tar.gz (responses/Analytics.json) by
# tools/generate_contracts.py with datamodel-code-generator. Do not edit by hand:
# change the pinned version in pyproject.toml and run `make generate`.

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class MetricsBody(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    average_holding_seconds_losers: Annotated[
        Decimal | None, Field(title="Average Holding Seconds Losers")
    ] = None
    average_holding_seconds_winners: Annotated[
        Decimal | None, Field(title="Average Holding Seconds Winners")
    ] = None
    average_loss: Annotated[Decimal | None, Field(title="Average Loss")] = None
    average_win: Annotated[Decimal | None, Field(title="Average Win")] = None
    breakevens: Annotated[int, Field(ge=0, title="Breakevens")]
    expectancy: Annotated[Decimal | None, Field(title="Expectancy")] = None
    expectancy_r: Annotated[
        Decimal | None,
        Field(
            description="Mean R over the trades with an initial stop.",
            title="Expectancy R",
        ),
    ] = None
    largest_loss: Annotated[Decimal | None, Field(title="Largest Loss")] = None
    largest_win: Annotated[Decimal | None, Field(title="Largest Win")] = None
    losses: Annotated[int, Field(ge=0, title="Losses")]
    max_consecutive_losses: Annotated[int, Field(ge=0, title="Max Consecutive Losses")] = 0
    max_consecutive_wins: Annotated[int, Field(ge=0, title="Max Consecutive Wins")] = 0
    max_drawdown: Annotated[Decimal, Field(title="Max Drawdown")]
    max_drawdown_percent: Annotated[Decimal | None, Field(title="Max Drawdown Percent")] = None
    max_drawdown_recovered: Annotated[bool, Field(title="Max Drawdown Recovered")] = True
    max_drawdown_seconds: Annotated[int, Field(ge=0, title="Max Drawdown Seconds")] = 0
    net_pnl: Annotated[Decimal, Field(title="Net Pnl")]
    no_losses: Annotated[bool, Field(title="No Losses")] = False
    payoff_ratio: Annotated[Decimal | None, Field(title="Payoff Ratio")] = None
    profit_factor: Annotated[
        Decimal | None,
        Field(description="Absent with no losses.", title="Profit Factor"),
    ] = None
    sharpe: Annotated[
        Decimal | None, Field(description="Only with account equity.", title="Sharpe")
    ] = None
    sortino: Annotated[
        Decimal | None, Field(description="Only with account equity.", title="Sortino")
    ] = None
    trades: Annotated[int, Field(ge=0, title="Trades")]
    trades_with_r: Annotated[int, Field(ge=0, title="Trades With R")] = 0
    win_rate: Annotated[Decimal | None, Field(title="Win Rate")] = None
    win_rate_excluding_breakevens: Annotated[
        Decimal | None, Field(title="Win Rate Excluding Breakevens")
    ] = None
    wins: Annotated[int, Field(ge=0, title="Wins")]


class AnalyticsGroup(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    key: Annotated[str, Field(title="Key")]
    metrics: MetricsBody


class CurrencyAnalytics(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    currency: Annotated[str, Field(pattern="^[A-Z]{3}$", title="Currency")]
    groups: Annotated[list[AnalyticsGroup], Field(title="Groups")]
    overall: MetricsBody


class Analytics(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    end: Annotated[date | None, Field(title="End")] = None
    group_by: Annotated[str, Field(title="Group By")]
    items: Annotated[list[CurrencyAnalytics], Field(title="Items")]
    start: Annotated[date | None, Field(title="Start")] = None
    time_zone: Annotated[str, Field(title="Time Zone")]
