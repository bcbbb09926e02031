"""Synthetic traders: closed trades with planted or no behaviour, and core positions of them."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Sequence
from decimal import Decimal

from tradeloop_contracts import Instrument, Position

from ai_coach.analytics import ClosedTrade, classify

START = dt.datetime(2026, 1, 5, 14, 30, tzinfo=dt.UTC)


def trade(
    net_pnl: str,
    holding_seconds: int = 600,
    closed_at: dt.datetime | None = None,
) -> ClosedTrade:
    """One closed trade; the outcome follows the net P&L with no breakeven band."""
    closed = closed_at or START
    pnl = Decimal(net_pnl)
    return ClosedTrade(
        id=uuid.uuid4(),
        net_pnl=pnl,
        outcome=classify(pnl),
        opened_at=closed - dt.timedelta(seconds=holding_seconds),
        closed_at=closed,
        holding_seconds=holding_seconds,
    )


def random_trader(
    seed: int,
    trades: int = 40,
    loser_hold_factor: float = 1.0,
    mean_pnl: float = 0.0,
) -> list[ClosedTrade]:
    """A trader with P&L around `mean_pnl`; losers held `loser_hold_factor` times longer.

    With the defaults there is no edge and no disposition effect to find.
    """
    rng = random.Random(seed)
    result = []
    for index in range(trades):
        pnl = Decimal(str(round(rng.gauss(mean_pnl, 100.0), 2)))
        hold = rng.lognormvariate(7.0, 0.6)
        if pnl < 0:
            hold *= loser_hold_factor
        closed_at = START + dt.timedelta(hours=index * 5)
        result.append(trade(str(pnl), int(hold) + 1, closed_at))
    return result


def positions_of(trades: Sequence[ClosedTrade], currency: str = "USD") -> list[Position]:
    """The closed positions core would serve for these trades."""
    return [
        Position(
            id=item.id,
            account_id=uuid.UUID(int=1),
            instrument=Instrument(symbol="AAPL", asset_class="stock", currency=currency),
            direction="long",
            status="closed",
            opened_at=item.opened_at,
            closed_at=item.closed_at,
            open_quantity=Decimal(0),
            max_quantity=Decimal(100),
            avg_entry_price=Decimal("100.00"),
            avg_exit_price=Decimal("100.00") + item.net_pnl / 100,
            realised_pnl_gross=item.net_pnl + Decimal("1.00"),
            fees=Decimal("1.00"),
            realised_pnl_net=item.net_pnl,
            currency=currency,
            holding_seconds=item.holding_seconds,
            outcome=item.outcome,
            execution_count=2,
        )
        for item in trades
    ]
