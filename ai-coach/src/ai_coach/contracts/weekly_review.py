# Generated from tradeloop-contracts-schemas-1.6.0.tar.gz (responses/WeeklyReview.json) by
# tools/generate_contracts.py with datamodel-code-generator. Do not edit by hand:
# change the pinned version in pyproject.toml and run `make generate`.

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from typing_extensions import TypeAliasType


class Evidence(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    metrics: Annotated[
        dict[str, str],
        Field(description="Named figures, decimals as strings.", title="Metrics"),
    ]
    position_ids: Annotated[list[UUID] | None, Field(title="Position Ids")] = None
    sample_size: Annotated[int, Field(ge=0, title="Sample Size")]


class Focus(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    reason: Annotated[str, Field(title="Reason")]
    rule: Annotated[str, Field(title="Rule")]
    source: Annotated[
        str,
        Field(description="e.g. insight:<kind>, journal:<label>, default.", title="Source"),
    ]


Currency = TypeAliasType("Currency", Annotated[str, Field(pattern="^[A-Z]{3}$", title="Currency")])


SuggestedRule = TypeAliasType(
    "SuggestedRule", Annotated[str, Field(max_length=500, title="Suggested Rule")]
)


class InsightCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
    )
    body: Annotated[str, Field(max_length=5000, title="Body")]
    confidence: Annotated[
        str,
        Field(
            description="e.g. 'p=0.01' or '90% CI 12.0..40.5'.",
            max_length=100,
            title="Confidence",
        ),
    ]
    cost: Annotated[Decimal | None, Field(title="Cost")] = None
    currency: Annotated[Currency | None, Field(title="Currency")] = None
    evidence: Evidence
    kind: Annotated[str, Field(max_length=64, min_length=1, title="Kind")]
    period_end: Annotated[date | None, Field(title="Period End")] = None
    period_start: Annotated[date | None, Field(title="Period Start")] = None
    suggested_rule: Annotated[SuggestedRule | None, Field(title="Suggested Rule")] = None
    title: Annotated[str, Field(max_length=200, min_length=1, title="Title")]


class PhraseCount(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    entries: Annotated[int, Field(ge=0, title="Entries")]
    phrase: Annotated[str, Field(title="Phrase")]


class Theme(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    category: Annotated[str, Field(description="emotion or mistake.", title="Category")]
    days: Annotated[int, Field(ge=0, title="Days")]
    entries: Annotated[int, Field(ge=0, title="Entries")]
    label: Annotated[str, Field(title="Label")]
    phrases: Annotated[list[PhraseCount], Field(title="Phrases")]
    suggested_rule: Annotated[str | None, Field(title="Suggested Rule")] = None


class WeekNumbers(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    expectancy: Annotated[Decimal | None, Field(title="Expectancy")] = None
    net_pnl: Annotated[Decimal, Field(title="Net Pnl")]
    trades: Annotated[
        Decimal,
        Field(description="A mean, so not always whole, for the baseline.", title="Trades"),
    ]
    win_rate: Annotated[Decimal | None, Field(title="Win Rate")] = None


class CurrencyReview(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    baseline: WeekNumbers
    baseline_weeks_traded: Annotated[int, Field(ge=0, title="Baseline Weeks Traded")]
    currency: Annotated[str, Field(pattern="^[A-Z]{3}$", title="Currency")]
    week: WeekNumbers


class WeeklyReviewReport(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    currencies: Annotated[list[CurrencyReview], Field(title="Currencies")]
    focus: Focus
    journal_themes: Annotated[list[Theme], Field(title="Journal Themes")]
    narrative: Annotated[str, Field(title="Narrative")]
    plan_adherence: Annotated[str, Field(title="Plan Adherence")]
    time_zone: Annotated[str, Field(title="Time Zone")]
    top_insights: Annotated[list[InsightCreate], Field(title="Top Insights")]
    week_end: Annotated[date, Field(title="Week End")]
    week_start: Annotated[date, Field(title="Week Start")]


class WeeklyReview(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    created_at: Annotated[AwareDatetime, Field(title="Created At")]
    focus: Annotated[str, Field(title="Focus")]
    id: Annotated[UUID, Field(title="Id")]
    insight_ids: Annotated[list[UUID] | None, Field(title="Insight Ids")] = None
    metrics: Annotated[dict[str, str], Field(title="Metrics")]
    report: Annotated[
        WeeklyReviewReport | None,
        Field(description="The full computed review; absent on older reviews."),
    ] = None
    summary: Annotated[str, Field(title="Summary")]
    week_start: Annotated[date, Field(title="Week Start")]
