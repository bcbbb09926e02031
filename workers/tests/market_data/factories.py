"""Typed factories of positions and bars for the market data tests."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from decimal import Decimal

from tradeloop_contracts import Execution, Instrument, PositionDetail

from workers.market_data.bars import PriceBar

AAPL = Instrument(asset_class="stock", symbol="AAPL")
ES = Instrument(
    asset_class="future",
    symbol="ESZ6",
    root="ES",
    expiry=dt.date(2026, 12, 18),
    multiplier=Decimal(50),
    tick_size=Decimal("0.25"),
)


def closed_position(
    fills: Sequence[tuple[dt.datetime, str, str, str]], instrument: Instrument = AAPL
) -> PositionDetail:
    """A closed position of `fills` (time, side, quantity, price), flat to flat."""
    account = uuid.uuid4()
    executions = [
        Execution(
            id=uuid.uuid4(),
            account_id=account,
            broker_execution_id=f"E{n}",
            executed_at=at,
            instrument=instrument,
            side=side,
            quantity=Decimal(quantity),
            price=Decimal(price),
            commission=Decimal(1),
            fees=Decimal(0),
            currency=instrument.currency,
        )
        for n, (at, side, quantity, price) in enumerate(fills)
    ]
    signed = [e.quantity if e.side == "buy" else -e.quantity for e in executions]
    cash = sum(
        (-q * e.price * instrument.multiplier for q, e in zip(signed, executions, strict=True)),
        Decimal(0),
    )
    entry = executions[0]
    return PositionDetail(
        id=uuid.uuid4(),
        account_id=account,
        instrument=instrument,
        direction="long" if entry.side == "buy" else "short",
        status="closed",
        opened_at=entry.executed_at,
        closed_at=executions[-1].executed_at,
        open_quantity=Decimal(0),
        max_quantity=max(abs(q) for q in signed),
        avg_entry_price=entry.price,
        realised_pnl_gross=cash,
        fees=Decimal(len(executions)),
        realised_pnl_net=cash - len(executions),
        currency=instrument.currency,
        execution_count=len(executions),
        executions=executions,
    )


def minute_bars(start: dt.datetime, closes: Sequence[str], spread: str = "0.50") -> list[PriceBar]:
    """Minute bars from `start`, each opening at the previous close, `spread` wide."""
    bars = []
    previous = Decimal(closes[0])
    for n, text in enumerate(closes):
        close = Decimal(text)
        low = min(previous, close) - Decimal(spread) / 2
        high = max(previous, close) + Decimal(spread) / 2
        bars.append(
            PriceBar(start + dt.timedelta(minutes=n), previous, high, low, close, Decimal(500))
        )
        previous = close
    return bars
