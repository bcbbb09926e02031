"""Synthetic traders for the detectors: clean random ones, or with one planted behaviour."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from decimal import Decimal

from ai_coach.analytics import ClosedTrade, classify

FIRST_DAY = dt.datetime(2026, 1, 5, 14, 30, tzinfo=dt.UTC)
SYMBOLS = ("AAPL", "MSFT", "TSLA")
SETUPS = ("breakout", "pullback")
BEHAVIOURS = (
    "revenge",
    "tilt",
    "size_creep",
    "hour_leak",
    "bad_symbol",
    "overtrading",
    "cutting_winners",
    "losers_run",
    "weekday_leak",
    "hour_edge",
    "bad_setup",
)


def synthetic_trader(seed: int, days: int = 90, plant: str | None = None) -> list[ClosedTrade]:
    """About 4 trades a weekday from 14:30 UTC, P&L ~ N(0, 100), with `plant` built in.

    Planted behaviours: "revenge" (entries 5 minutes after a loss lose 80 more), "tilt"
    (trades after 3 straight losses lose 100 more), "size_creep" (size 1.6x after a win),
    "hour_leak" (entries in the 15:00 hour lose 70 more), "bad_symbol" (TSLA loses 60
    more), "overtrading" (one day in five has 12 trades that lose 50 more each),
    "cutting_winners" (winners keep 20-45% of their MFE instead of 40-100%), "losers_run"
    (losers go 100-200 further against the trader before they are closed, instead of 0-50),
    "weekday_leak" (Thursdays lose 60 more), "hour_edge" (entries in the 16:00 hour make 70
    more), "bad_setup" (the pullback setup loses 60 more).
    """
    rng = random.Random(seed)
    trades: list[ClosedTrade] = []
    day = FIRST_DAY
    size = Decimal(10_000)
    while len({t.opened_at.date() for t in trades}) < days:
        if day.weekday() >= 5:
            day += dt.timedelta(days=1)
            continue
        busy = plant == "overtrading" and rng.random() < 0.2
        count = 12 if busy else rng.randint(2, 6)
        moment = day
        for _ in range(count):
            before = trades[-1] if trades else None
            quick = rng.random() < 0.3
            moment += dt.timedelta(minutes=5 if quick else rng.randint(15, 50))
            hold = rng.randint(5 * 60, 40 * 60)
            pnl = rng.gauss(0, 100)
            streak = 0
            for earlier in reversed(trades):
                if earlier.outcome != "loss":
                    break
                streak += 1
            if plant == "revenge" and quick and before and before.outcome == "loss":
                pnl -= 80
            if plant == "tilt" and streak >= 3:
                pnl -= 100
            if plant == "hour_leak" and moment.hour == 15:
                pnl -= 70
            if plant == "overtrading" and busy:
                pnl -= 50
            if plant == "weekday_leak" and moment.weekday() == 3:
                pnl -= 60
            if plant == "hour_edge" and moment.hour == 16:
                pnl += 70
            symbol = rng.choice(SYMBOLS)
            if plant == "bad_symbol" and symbol == "TSLA":
                pnl -= 60
            setup = rng.choice(SETUPS)
            if plant == "bad_setup" and setup == "pullback":
                pnl -= 60
            size = Decimal(int(rng.lognormvariate(9.2, 0.3)))
            if plant == "size_creep" and before and before.outcome == "win":
                size = (before.size * Decimal("1.6")).quantize(Decimal(1))
            net = Decimal(str(round(pnl, 2)))
            gross = net + Decimal(2)
            low, high = (0.2, 0.45) if plant == "cutting_winners" else (0.4, 1.0)
            mfe = gross / Decimal(str(rng.uniform(low, high))) if gross > 0 else Decimal(20)
            further = (100, 200) if plant == "losers_run" and net < 0 else (0, 50)
            mae = -abs(net) - Decimal(str(round(rng.uniform(*further), 2)))
            opened = moment
            moment += dt.timedelta(seconds=hold)
            trades.append(
                ClosedTrade(
                    id=uuid.UUID(int=rng.getrandbits(128)),
                    net_pnl=net,
                    outcome=classify(net),
                    opened_at=opened,
                    closed_at=moment,
                    holding_seconds=hold,
                    account_id=uuid.UUID(int=1),
                    symbol=symbol,
                    asset_class="stock",
                    tags=(setup,),
                    size=size,
                    gross_pnl=gross,
                    mfe=mfe.quantize(Decimal("0.01")),
                    mae=mae,
                )
            )
        day += dt.timedelta(days=1)
    return trades
