"""Market data benchmark: MAE/MFE enrichment of N closed positions.

    python bench/market_data_bench.py OUT [--max-size N]

Generates N demo-like day trades (stocks and futures, some scale-ins, over 60 trading
days), writes their one-minute demo bars to a local file source, then times, for every
position, reading its chart window from the source (loaded once) and computing MAE/MFE.
Appends JSON lines to OUT (the root `make bench` format).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import random
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

from tradeloop_contracts import Execution, Instrument, PositionDetail

from workers.imports.storage import open_object_store
from workers.market_data.demo import write_demo_bars
from workers.market_data.enrichment import chart_window, enrich, interval_for
from workers.market_data.sources import FileBars

SIZES = (1_000, 10_000)
REPEATS = 3
STOCKS = {"AAPL": 228, "MSFT": 415, "NVDA": 132, "TSLA": 245}
FUTURE = Instrument(
    asset_class="future",
    symbol="ESZ6",
    root="ES",
    expiry=dt.date(2026, 12, 18),
    multiplier=Decimal(50),
    tick_size=Decimal("0.25"),
)


def positions(count: int) -> list[PositionDetail]:
    rng = random.Random(count)
    first_day = dt.datetime(2026, 6, 1, 13, 45, tzinfo=dt.UTC)
    made = []
    for n in range(count):
        if n % 4 == 0:
            instrument, base, tick = FUTURE, 5900.0, Decimal("0.25")
        else:
            symbol = rng.choice(sorted(STOCKS))
            instrument = Instrument(asset_class="stock", symbol=symbol)
            base, tick = float(STOCKS[symbol]), Decimal("0.01")
        day = first_day + dt.timedelta(days=n % 60)
        opened = day + dt.timedelta(minutes=rng.randint(0, 330), seconds=rng.randint(0, 59))
        entry = Decimal(round(base * (1 + rng.uniform(-0.05, 0.05)) / float(tick))) * tick
        side, other = ("buy", "sell") if rng.random() < 0.7 else ("sell", "buy")
        legs = [(opened, side, Decimal(100), entry)]
        if rng.random() < 0.35:
            legs.append(
                (opened + dt.timedelta(minutes=rng.randint(2, 20)), side, Decimal(100), entry)
            )
        closed = legs[-1][0] + dt.timedelta(minutes=rng.randint(3, 150))
        exit_price = entry + tick * rng.randint(-60, 60)
        legs.append((closed, other, Decimal(100 * len(legs)), exit_price))
        made.append(_position(instrument, legs))
    return made


def _position(
    instrument: Instrument, legs: list[tuple[dt.datetime, str, Decimal, Decimal]]
) -> PositionDetail:
    account = uuid.uuid4()
    executions = [
        Execution.model_validate(
            {
                "id": uuid.uuid4(),
                "account_id": account,
                "executed_at": at,
                "instrument": instrument,
                "side": side,
                "quantity": quantity,
                "price": price,
                "commission": Decimal(1),
                "fees": Decimal(0),
                "currency": "USD",
            }
        )
        for at, side, quantity, price in legs
    ]
    return PositionDetail.model_validate(
        {
            "id": uuid.uuid4(),
            "account_id": account,
            "instrument": instrument,
            "direction": "long" if legs[0][1] == "buy" else "short",
            "status": "closed",
            "opened_at": legs[0][0],
            "closed_at": legs[-1][0],
            "open_quantity": 0,
            "max_quantity": legs[-1][2],
            "avg_entry_price": legs[0][3],
            "realised_pnl_gross": 0,
            "fees": 0,
            "realised_pnl_net": 0,
            "currency": "USD",
            "execution_count": len(legs),
            "executions": executions,
        }
    )


async def _enrich_all(source: FileBars, batch: list[PositionDetail]) -> int:
    known = 0
    for position in batch:
        assert position.closed_at is not None
        interval = interval_for(position.opened_at, position.closed_at)
        start, end = chart_window(position, interval)
        bars = await source.bars(position.instrument, interval, start, end)
        known += enrich(position, bars, interval).excursions is not None
    return known


async def bench(out_path: Path, max_size: int) -> None:
    with tempfile.TemporaryDirectory() as scratch, out_path.open("a", encoding="utf-8") as out:
        for size in (s for s in SIZES if s <= max_size):
            batch = positions(size)
            store = open_object_store(Path(scratch, f"objects-{size}").as_uri())
            await write_demo_bars(store, batch)
            source = FileBars(store)
            # Reading the files is not part of the timing: one position per symbol loads them.
            first_of_symbol = {p.instrument.symbol: p for p in batch}
            await _enrich_all(source, list(first_of_symbol.values()))
            seconds = []
            for _ in range(REPEATS):
                started = time.perf_counter()
                known = await _enrich_all(source, batch)
                seconds.append(time.perf_counter() - started)
            assert known == size, f"{size - known} positions without MAE/MFE"
            row = {
                "workload": "MAE/MFE enrichment (1m bars, file source)",
                "size": size,
                "items": size,
                "unit": "positions",
                "seconds": seconds,
            }
            out.write(json.dumps(row) + "\n")
            out.flush()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--max-size", type=int, default=10_000)
    args = parser.parse_args()
    asyncio.run(bench(args.out, args.max_size))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
