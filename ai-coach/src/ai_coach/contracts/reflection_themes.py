# Generated from tradeloop-contracts-schemas-1.6.0.tar.gz (responses/ReflectionThemes.json) by
# tools/generate_contracts.py with datamodel-code-generator. Do not edit by hand:
# change the pinned version in pyproject.toml and run `make generate`.

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class EntryLabels(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    day: Annotated[date, Field(title="Day")]
    entry_id: Annotated[UUID, Field(title="Entry Id")]
    labels: Annotated[dict[str, list[str]], Field(title="Labels")]


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


class ThemePerformance(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    currency: Annotated[str, Field(pattern="^[A-Z]{3}$", title="Currency")]
    days_with: Annotated[int, Field(ge=0, title="Days With")]
    days_without: Annotated[int, Field(ge=0, title="Days Without")]
    label: Annotated[str, Field(title="Label")]
    mean_daily_pnl_with: Annotated[Decimal | None, Field(title="Mean Daily Pnl With")] = None
    mean_daily_pnl_without: Annotated[Decimal | None, Field(title="Mean Daily Pnl Without")] = None
    win_rate_with: Annotated[Decimal | None, Field(title="Win Rate With")] = None
    win_rate_without: Annotated[Decimal | None, Field(title="Win Rate Without")] = None


class WeekThemes(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    entries: Annotated[int, Field(ge=0, title="Entries")]
    themes: Annotated[list[Theme], Field(title="Themes")]
    week: Annotated[date, Field(title="Week")]


class ReflectionThemes(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    end: Annotated[date | None, Field(title="End")] = None
    entries: Annotated[int, Field(ge=0, title="Entries")]
    evidence: Annotated[list[EntryLabels], Field(title="Evidence")]
    performance: Annotated[list[ThemePerformance], Field(title="Performance")]
    start: Annotated[date | None, Field(title="Start")] = None
    themes: Annotated[list[Theme], Field(title="Themes")]
    time_zone: Annotated[str, Field(title="Time Zone")]
    weeks: Annotated[list[WeekThemes], Field(title="Weeks")]
