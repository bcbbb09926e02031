"""Synthetic but realistic executions, reproducible from a seed.

A simulated trader opens and closes positions in stocks, equity options (OCC
symbols) and futures: long and short, entries and exits split into partial
fills, positions overlapping in time, commissions per share or per contract.
Each round trip returns to flat.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

STOCKS = ("AAPL", "MSFT", "NVDA", "AMD", "TSLA", "META", "AMZN", "SPY", "QQQ", "IWM")
FUTURES = (
    ("ES", Decimal(50), Decimal("0.25")),
    ("NQ", Decimal(20), Decimal("0.25")),
    ("MES", Decimal(5), Decimal("0.25")),
    ("CL", Decimal(1000), Decimal("0.01")),
)
MONTH_CODES = "FGHJKMNQUVXZ"
NEW_YORK = dt.timezone(dt.timedelta(hours=-5))
CSV_HEADER = (
    "Time",
    "Symbol",
    "Side",
    "Quantity",
    "Price",
    "Commission",
    "Execution ID",
    "Asset Class",
    "Multiplier",
)


@dataclass(frozen=True)
class Fill:
    """One execution as a broker would report it."""

    execution_id: str
    time: dt.datetime
    symbol: str
    asset_class: str
    side: str
    quantity: Decimal
    price: Decimal
    commission: Decimal
    multiplier: Decimal

    def row(self) -> tuple[str, ...]:
        return (
            self.time.isoformat(),
            self.symbol,
            self.side,
            str(self.quantity),
            str(self.price),
            str(self.commission),
            self.execution_id,
            self.asset_class,
            str(self.multiplier),
        )


def _split(quantity: int, parts: int, rng: random.Random) -> list[int]:
    if parts <= 1 or quantity < parts:
        return [quantity]
    cuts = sorted(rng.sample(range(1, quantity), parts - 1))
    return [b - a for a, b in zip([0, *cuts], [*cuts, quantity], strict=True)]


def _instrument(rng: random.Random, day: dt.date) -> tuple[str, str, Decimal, Decimal, Decimal]:
    """(symbol, asset class, multiplier, tick, starting price)."""
    kind = rng.random()
    if kind < 0.6:
        return (
            rng.choice(STOCKS),
            "stock",
            Decimal(1),
            Decimal("0.01"),
            Decimal(rng.randint(20, 600)),
        )
    if kind < 0.8:
        underlying = rng.choice(STOCKS)
        expiry = day + dt.timedelta(days=(4 - day.weekday()) % 7 + 7 * rng.randint(0, 3))
        strike = Decimal(rng.randint(4, 120) * 5)
        right = rng.choice("CP")
        symbol = f"{underlying:<6}{expiry:%y%m%d}{right}{int(strike * 1000):08d}"
        return symbol, "option", Decimal(100), Decimal("0.01"), Decimal(rng.randint(50, 1500)) / 100
    root, multiplier, tick = rng.choice(FUTURES)
    month = MONTH_CODES[(day.month + 1) % 12]
    start = {"ES": 5800, "NQ": 20500, "MES": 5800, "CL": 75}[root]
    return f"{root}{month}{(day.year + 1) % 10}", "future", multiplier, tick, Decimal(start)


def round_trips(seed: int = 7) -> Iterator[Fill]:
    """Fills trade by trade, without end; overlapping trades interleave in time."""
    rng = random.Random(seed)
    clock = dt.datetime(2025, 1, 2, 9, 30, tzinfo=NEW_YORK)
    sequence = 0
    while True:
        clock += dt.timedelta(seconds=rng.randint(20, 900))
        if clock.hour >= 16:
            clock = clock.replace(hour=9, minute=30) + dt.timedelta(days=1)
        while clock.weekday() >= 5:
            clock += dt.timedelta(days=1)
        symbol, asset_class, multiplier, tick, price = _instrument(rng, clock.date())
        short = rng.random() < 0.3
        size = rng.randint(1, 10) if asset_class != "stock" else rng.randint(1, 40) * 25
        per_unit = Decimal("0.005") if asset_class == "stock" else Decimal("0.65")
        moves = rng.gauss(0.1, 1.0)
        exit_price = max(tick, (price * Decimal(1 + moves / 100)).quantize(tick))
        legs = [
            (("sell" if short else "buy"), part, price)
            for part in _split(size, rng.randint(1, 3), rng)
        ]
        legs += [
            (("buy" if short else "sell"), part, exit_price)
            for part in _split(size, rng.randint(1, 3), rng)
        ]
        when = clock
        for side, quantity, level in legs:
            when += dt.timedelta(seconds=rng.randint(0, 600))
            sequence += 1
            slip = tick * rng.randint(-2, 2)
            yield Fill(
                execution_id=f"X{seed}-{sequence}",
                time=when,
                symbol=symbol,
                asset_class=asset_class,
                side=side,
                quantity=Decimal(quantity),
                price=max(tick, level + slip),
                commission=max(Decimal(1), per_unit * quantity).quantize(Decimal("0.01")),
                multiplier=multiplier,
            )


def executions(count: int, seed: int = 7) -> Iterator[Fill]:
    """Exactly `count` fills; only the last position may still be open."""
    return itertools.islice(round_trips(seed), count)


def write_csv(path: Path, count: int, seed: int = 7) -> None:
    """Writes `count` fills as a generic CSV, streaming (memory stays flat at any size)."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_HEADER)
        writer.writerows(fill.row() for fill in executions(count, seed))
