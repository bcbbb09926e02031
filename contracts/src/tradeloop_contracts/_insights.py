"""Coach insights, journal themes and weekly reviews."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from pydantic import Field

from ._base import Amount, Currency, RequestBody, ResponseBody, Timestamp
from ._pagination import Page


class Evidence(ResponseBody):
    """The numbers behind an insight and the positions that show it."""

    metrics: dict[str, str] = Field(description="Named figures, decimals as strings.")
    sample_size: int = Field(ge=0)
    position_ids: list[UUID] = Field(default_factory=list)


class InsightCreate(RequestBody):
    """An insight computed by the coach, stored by core."""

    kind: str = Field(min_length=1, max_length=64)
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(max_length=5000)
    evidence: Evidence
    confidence: str = Field(description="e.g. 'p=0.01' or '90% CI 12.0..40.5'.", max_length=100)
    cost: Amount | None = None
    currency: Currency | None = None
    suggested_rule: str | None = Field(default=None, max_length=500)
    period_start: dt.date | None = None
    period_end: dt.date | None = None


class Insight(ResponseBody):
    """A stored insight."""

    id: UUID
    kind: str
    title: str
    body: str
    evidence: Evidence
    confidence: str
    cost: Amount | None = None
    currency: Currency | None = None
    suggested_rule: str | None = None
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    created_at: Timestamp


class InsightList(ResponseBody):
    """Insights, most recent first."""

    items: list[Insight]


class PhraseCount(ResponseBody):
    """A phrase as found in the journal and how many entries used it."""

    phrase: str
    entries: int = Field(ge=0)


class Theme(ResponseBody):
    """One emotion or mistake in a period: how often, which words, and the rule for it."""

    label: str
    category: str = Field(description="emotion or mistake.")
    entries: int = Field(ge=0)
    days: int = Field(ge=0)
    phrases: list[PhraseCount]
    suggested_rule: str | None = None


class WeekThemes(ResponseBody):
    """The themes of one ISO week (its Monday)."""

    week: dt.date
    entries: int = Field(ge=0)
    themes: list[Theme]


class ThemePerformance(ResponseBody):
    """Trading days with a theme in the journal against journaled days without it."""

    currency: Currency
    label: str
    days_with: int = Field(ge=0)
    days_without: int = Field(ge=0)
    mean_daily_pnl_with: Amount | None = None
    mean_daily_pnl_without: Amount | None = None
    win_rate_with: Amount | None = None
    win_rate_without: Amount | None = None


class EntryLabels(ResponseBody):
    """The evidence of one entry: each label with the phrases that matched."""

    entry_id: UUID
    day: dt.date
    labels: dict[str, list[str]]


class ReflectionThemes(ResponseBody):
    """The emotions and mistakes of the journal over a period, and the P&L of days with them."""

    start: dt.date | None = None
    end: dt.date | None = None
    time_zone: str
    entries: int = Field(ge=0)
    themes: list[Theme]
    weeks: list[WeekThemes]
    performance: list[ThemePerformance]
    evidence: list[EntryLabels]


class WeekNumbers(ResponseBody):
    """Trades, net P&L, win rate and expectancy of a week, or per week of the baseline."""

    trades: Amount = Field(description="A mean, so not always whole, for the baseline.")
    net_pnl: Amount
    win_rate: Amount | None = None
    expectancy: Amount | None = None


class CurrencyReview(ResponseBody):
    """One currency's week against the mean week of the previous eight."""

    currency: Currency
    week: WeekNumbers
    baseline: WeekNumbers
    baseline_weeks_traded: int = Field(ge=0)


class Focus(ResponseBody):
    """The one thing to work on next week and which step of the rule chose it."""

    rule: str
    reason: str
    source: str = Field(description="e.g. insight:<kind>, journal:<label>, default.")


class WeeklyReviewReport(ResponseBody):
    """A computed weekly review: the week against its baseline, insights, themes and a focus."""

    week_start: dt.date
    week_end: dt.date
    time_zone: str
    currencies: list[CurrencyReview]
    top_insights: list[InsightCreate]
    journal_themes: list[Theme]
    plan_adherence: str
    focus: Focus
    narrative: str


class WeeklyReviewCreate(RequestBody):
    """Internal: a weekly review the coach computed, stored by core for the user in the path."""

    week_start: dt.date
    summary: str = Field(max_length=20000)
    focus: str = Field(max_length=1000)
    metrics: dict[str, str] = Field(description="Named figures, decimals as strings.")
    insight_ids: list[UUID] = Field(default_factory=list, max_length=100)
    report: WeeklyReviewReport


class WeeklyReviewDue(ResponseBody):
    """Internal: a trader the coach has not reviewed yet for a week they traded in."""

    user_id: UUID
    time_zone: str = Field(description="The trader's IANA time zone; the week is read in it.")


class WeeklyReviewDuePage(Page):
    """Internal: one page of the traders due for the review of the week from `week_start`."""

    week_start: dt.date
    items: list[WeeklyReviewDue]


class WeeklyReview(ResponseBody):
    """A stored week's numbers against the trader's own baseline, and one focus for next week."""

    id: UUID
    week_start: dt.date
    summary: str
    focus: str
    metrics: dict[str, str]
    insight_ids: list[UUID] = Field(default_factory=list)
    report: WeeklyReviewReport | None = Field(
        default=None, description="The full computed review; absent on older reviews."
    )
    created_at: Timestamp


class WeeklyReviewList(ResponseBody):
    """Weekly reviews, newest first."""

    items: list[WeeklyReview]
