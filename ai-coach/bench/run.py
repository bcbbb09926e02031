"""Benchmark: full analytics (every dimension) and every detector for one account.

Writes one JSON object per line to the file named by BENCH_OUT (stdout without it);
sizes above BENCH_MAX_SIZE are skipped.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import sys
import time
import uuid
from decimal import Decimal

from ai_coach.analytics import DIMENSIONS, ClosedTrade, classify, group, summarize
from ai_coach.insights.service import detect_all

SIZES = (1_000, 10_000, 50_000)
START = dt.datetime(2024, 1, 2, 14, 30, tzinfo=dt.UTC)


def account(size: int, seed: int = 7) -> list[ClosedTrade]:
    """`size` closed trades of one account, about 20 a weekday, P&L ~ N(5, 100)."""
    rng = random.Random(seed)
    trades = []
    for index in range(size):
        day, slot = divmod(index, 20)
        opened = START + dt.timedelta(days=day * 7 // 5, minutes=slot * 18)
        hold = rng.randint(60, 3_600)
        net = Decimal(str(round(rng.gauss(5, 100), 2)))
        trades.append(
            ClosedTrade(
                id=uuid.UUID(int=rng.getrandbits(128)),
                net_pnl=net,
                outcome=classify(net),
                opened_at=opened,
                closed_at=opened + dt.timedelta(seconds=hold),
                holding_seconds=hold,
                account_id=uuid.UUID(int=1),
                symbol=rng.choice(("AAPL", "MSFT", "TSLA", "NVDA", "ES")),
                asset_class="stock",
                tags=(rng.choice(("breakout", "pullback", "reversal")),),
                size=Decimal(rng.randint(5_000, 20_000)),
                gross_pnl=net + 2,
                r_multiple=(net / 50).quantize(Decimal("0.01")),
                mfe=abs(net) + 10,
                mae=-abs(net) - 10,
            )
        )
    return trades


def run(trades: list[ClosedTrade]) -> None:
    summarize(trades, Decimal(100_000))
    for dimension in DIMENSIONS:
        for members in group(trades, dimension).values():  # type: ignore[arg-type]
            summarize(members)
    detect_all(trades, "USD")


def main() -> None:
    limit = int(os.environ.get("BENCH_MAX_SIZE") or SIZES[-1])
    out_path = os.environ.get("BENCH_OUT")
    out = open(out_path, "a", encoding="utf-8") if out_path else sys.stdout
    try:
        for size in SIZES:
            if size > limit:
                continue
            run(account(size))  # warm-up
            seconds, cpu_seconds = [], []
            for _ in range(5 if size < SIZES[-1] else 3):
                # Fresh trades each time: a request converts its trades' times anew.
                trades = account(size)
                began, began_cpu = time.perf_counter(), time.process_time()
                run(trades)
                seconds.append(round(time.perf_counter() - began, 4))
                # CPU time too: on a shared machine the wall time mostly measures the others.
                cpu_seconds.append(round(time.process_time() - began_cpu, 4))
            record = {
                "workload": "coach analytics + detectors",
                "size": size,
                "items": size,
                "unit": "positions",
                "seconds": seconds,
                "cpu_seconds": cpu_seconds,
            }
            out.write(json.dumps(record) + "\n")
            out.flush()
    finally:
        if out is not sys.stdout:
            out.close()


if __name__ == "__main__":
    main()
