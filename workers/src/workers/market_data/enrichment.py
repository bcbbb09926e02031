"""Enrichment: a closed position's bars for its chart, and its MAE/MFE, sent to core."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from uuid import UUID

from tradeloop_contracts import (
    Bar,
    BarInterval,
    Event,
    Execution,
    PositionBars,
    PositionClosed,
    PositionDetail,
    PositionExcursions,
    UserEventData,
)

from ..core import CoreClient
from .bars import INTERVALS, BarSource, PriceBar
from .excursions import Excursions, Fill, covers, excursions

POSITION_CLOSED = "position.closed.v1"
CHART_PADDING_BARS = 30
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Enriched:
    """What enrichment found for one position (`excursions` None: unknown)."""

    position_id: UUID
    interval: BarInterval
    bars: int
    excursions: Excursions | None


def interval_for(opened_at: dt.datetime, closed_at: dt.datetime) -> BarInterval:
    """Minute bars for positions held up to two days, hourly up to 60 days, else daily."""
    held = closed_at - opened_at
    if held <= dt.timedelta(days=2):
        return "1m"
    if held <= dt.timedelta(days=60):
        return "1h"
    return "1d"


def enrich(position: PositionDetail, bars: list[PriceBar], interval: BarInterval) -> Enriched:
    """MAE/MFE of a closed position from `bars` (oldest first) of `interval`."""
    fills = [_fill_of(execution) for execution in position.executions]
    fills.sort(key=lambda fill: fill.time)
    found = excursions(fills, bars, INTERVALS[interval], position.instrument.multiplier)
    return Enriched(position.id, interval, len(bars), found)


def chart_window(
    position: PositionDetail, interval: BarInterval
) -> tuple[dt.datetime, dt.datetime]:
    """The span the chart shows: some bars before the entry and after the exit, from the
    start of the bar holding the first instant."""
    step = INTERVALS[interval]
    padding = step * CHART_PADDING_BARS
    start = position.opened_at.astimezone(dt.UTC) - padding
    start -= (start - EPOCH) % step
    return start, (position.closed_at or position.opened_at) + padding


class EnrichmentJob:
    """Handles `position.closed.v1`: fetches bars, stores the chart bars and MAE/MFE in core.

    Idempotent: a repeat stores the same numbers again.
    """

    def __init__(self, core: CoreClient, source: BarSource) -> None:
        self._core = core
        self._source = source

    async def handle(self, event: Event[UserEventData]) -> None:
        """Enrich the position a `position.closed.v1` names; other events are ignored.

        Raises CoreError while core cannot be reached and MarketDataError while the bar
        source cannot answer, so the bus delivers the event again.
        """
        if event.type != POSITION_CLOSED or not isinstance(event.data, PositionClosed):
            return
        await self.enrich_position(event.data.user_id, event.data.position_id)

    async def enrich_position(self, user_id: UUID, position_id: UUID) -> Enriched | None:
        """Enrich one closed position; None when core has no such closed position."""
        position = await self._core.get_position(user_id, position_id)
        if position is None or position.closed_at is None:
            logger.info("position %s is gone or open again; not enriched", position_id)
            return None
        return await self.enrich_closed(user_id, position)

    async def enrich_user(self, user_id: UUID) -> list[Enriched]:
        """Enrich every closed position of the user; what was found for each."""
        return [
            await self.enrich_closed(user_id, position)
            async for position in closed_positions(self._core, user_id)
        ]

    async def enrich_closed(self, user_id: UUID, position: PositionDetail) -> Enriched:
        """Store the chart bars of a closed position and, when the bars cover it, its
        MAE/MFE. Raises CoreError and MarketDataError as `handle` does."""
        closed_at = position.closed_at or position.opened_at
        interval = interval_for(position.opened_at, closed_at)
        start, end = chart_window(position, interval)
        bars = await self._source.bars(position.instrument, interval, start, end)
        enriched = enrich(position, bars, interval)
        await self._core.store_position_bars(
            user_id,
            PositionBars(
                position_id=position.id,
                symbol=position.instrument.symbol,
                interval=interval,
                bars=[Bar(**bar._asdict()) for bar in bars],
                complete=covers(bars, INTERVALS[interval], position.opened_at, closed_at),
            ),
        )
        if enriched.excursions is not None:
            found = enriched.excursions
            await self._core.store_excursions(
                user_id,
                position.id,
                PositionExcursions(
                    mae=found.mae,
                    mfe=found.mfe,
                    mae_price=found.mae_price,
                    mfe_price=found.mfe_price,
                    currency=position.currency,
                    interval=interval,
                ),
            )
        logger.info(
            "position %s: %d %s bars from %s, MAE/MFE %s",
            position.id,
            len(bars),
            interval,
            self._source.name,
            "known" if enriched.excursions else "unknown",
        )
        return enriched


async def closed_positions(core: CoreClient, user_id: UUID) -> AsyncIterator[PositionDetail]:
    """Every closed position of the user with its executions, page by page."""
    cursor = None
    while True:
        page = await core.list_positions(user_id, status="closed", cursor=cursor)
        for position in page.items:
            detail = await core.get_position(user_id, position.id)
            if detail is not None and detail.closed_at is not None:
                yield detail
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def _fill_of(execution: Execution) -> Fill:
    return Fill(execution.executed_at, execution.side, execution.quantity, execution.price)
