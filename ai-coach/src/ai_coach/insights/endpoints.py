"""The coach's HTTP routes for insights."""

from __future__ import annotations

from fastapi import APIRouter, Request

from ai_coach.auth import CurrentUser
from ai_coach.contracts.insight_list import InsightList
from ai_coach.contracts.problem import Problem
from ai_coach.insights.service import CoachService

router = APIRouter(prefix="/v1", tags=["insights"])


@router.get(
    "/insights",
    response_model=InsightList,
    responses={401: {"model": Problem}, 502: {"model": Problem}, 503: {"model": Problem}},
)
async def list_insights(request: Request, user: CurrentUser) -> InsightList:
    """Compute the trader's insights from their closed positions, store new ones, list them."""
    service: CoachService = request.app.state.coach
    return await service.refresh_insights(user)
