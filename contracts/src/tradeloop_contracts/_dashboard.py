"""The dashboard's data in one answer, assembled by edge-bff from several backends."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ._base import ResponseBody
from ._insights import InsightList
from ._positions import PositionPage
from ._statistics import Statistics

DashboardPart = Literal["statistics", "positions", "insights"]


class Dashboard(ResponseBody):
    """Statistics, recent positions and insights; a part whose backend failed is absent."""

    statistics: Statistics | None = None
    positions: PositionPage | None = None
    insights: InsightList | None = None
    partial: list[DashboardPart] = Field(
        default_factory=list, description="The parts missing because a backend did not answer."
    )
