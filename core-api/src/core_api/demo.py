"""The demo trader: about three months of stock and futures day trades from a fixed seed."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from pydantic import SecretStr
from sqlalchemy import select
from tradeloop_contracts import (
    ExecutionBatch,
    ExecutionIn,
    Instrument,
    JournalEntryCreate,
    SignupRequest,
)

from core_api.accounts.repository import AccountRepository
from core_api.config import Settings
from core_api.db import make_engine, make_sessions
from core_api.executions.service import record_batch
from core_api.identity.models import UserRecord
from core_api.identity.service import signup
from core_api.journal.service import create_entry
from core_api.positions.listing import DEFAULT_SORT, PositionFilters
from core_api.positions.repository import PositionRepository

DEMO_EMAIL = "demo@tradeloop.dev"
DEMO_PASSWORD = "demo-trader-2026"
SEED = 20260101
TRADING_DAYS = 64
NEW_YORK = ZoneInfo("America/New_York")

STOCKS = {
    "AAPL": Decimal("228"),
    "MSFT": Decimal("415"),
    "NVDA": Decimal("132"),
    "TSLA": Decimal("245"),
}
FUTURES = {
    "ES": (Decimal("50"), Decimal("0.25"), Decimal("5900")),
    "NQ": (Decimal("20"), Decimal("0.25"), Decimal("20800")),
}


def seed_demo(settings: Settings, today: dt.date | None = None) -> bool:
    """Creates the demo trader with their trades and notes; False when they already exist."""
    engine = make_engine(settings.resolved_database_url)
    try:
        with make_sessions(engine).begin() as session:
            if session.scalar(select(UserRecord.id).where(UserRecord.email == DEMO_EMAIL)):
                return False
            user = signup(
                session,
                SignupRequest(
                    email=DEMO_EMAIL,
                    password=SecretStr(DEMO_PASSWORD),
                    time_zone="America/New_York",
                ),
            )
            account = AccountRepository(session, user.id).list()[0]
            executions = demo_executions(today or dt.date.today())
            for start in range(0, len(executions), 1000):
                record_batch(
                    session,
                    user.id,
                    ExecutionBatch(
                        account_id=account.id, executions=executions[start : start + 1000]
                    ),
                    None,
                )
            positions = PositionRepository(session, user.id).page(
                PositionFilters(status="closed"), DEFAULT_SORT, None, 2
            )
            notes = [
                "Chased the open again. Waited for the pullback on the second entry and it paid.",
                "Stopped out twice before 10:00. Sat on my hands after that; good.",
            ]
            for position, note in zip(positions, notes, strict=False):
                create_entry(
                    session,
                    user.id,
                    JournalEntryCreate(
                        position_id=position.id,
                        day=position.opened_at.astimezone(NEW_YORK).date(),
                        body=f"## {position.symbol}\n\n{note}",
                        mood=3,
                        tags=["demo"],
                    ),
                    None,
                )
            return True
    finally:
        engine.dispose()


def demo_executions(today: dt.date) -> list[ExecutionIn]:
    """Fills of ~64 trading days before `today`: winners and losers, scale-ins, shorts, fees.

    Two habits are planted for the coach to find: losers are held several times longer
    than winners, and after a loss the trader often re-enters within minutes at double
    size ("revenge"), and those trades lose more often.
    """
    rng = random.Random(SEED)
    days: list[dt.date] = []
    day = today - dt.timedelta(days=1)
    while len(days) < TRADING_DAYS:
        if day.weekday() < 5:
            days.append(day)
        day -= dt.timedelta(days=1)
    fills: list[ExecutionIn] = []
    for session_day in reversed(days):
        at = dt.datetime.combine(session_day, dt.time(9, 30), NEW_YORK) + dt.timedelta(
            minutes=rng.randint(0, 90)
        )
        lost = False
        for _ in range(rng.randint(1, 4)):
            revenge = lost and rng.random() < 0.6
            if revenge:
                at += dt.timedelta(minutes=rng.randint(1, 5))
            else:
                at += dt.timedelta(minutes=rng.randint(15, 60))
            trade = _trade(rng, at, len(fills), revenge)
            fills += trade.fills
            at, lost = trade.closed_at, trade.lost
    return fills


@dataclass(frozen=True)
class _Trade:
    fills: list[ExecutionIn]
    closed_at: dt.datetime
    lost: bool


def _trade(rng: random.Random, opened: dt.datetime, sequence: int, revenge: bool) -> _Trade:
    short = rng.random() < 0.3
    if rng.random() < 0.6:
        symbol = rng.choice(sorted(STOCKS))
        instrument = Instrument(asset_class="stock", symbol=symbol, exchange="NASDAQ")
        price = STOCKS[symbol] * (1 + Decimal(rng.randint(-800, 800)) / 10000)
        tick = Decimal("0.01")
        unit = Decimal(rng.choice([50, 100, 200]))
        commission = Decimal("1.00")
    else:
        root = rng.choice(sorted(FUTURES))
        multiplier, tick, base = FUTURES[root]
        instrument = Instrument(
            asset_class="future",
            symbol=f"{root}Z6",
            root=root,
            expiry=dt.date(2026, 12, 18),
            multiplier=multiplier,
            tick_size=tick,
            exchange="CME",
        )
        price = base * (1 + Decimal(rng.randint(-300, 300)) / 10000)
        unit = Decimal(rng.choice([1, 2]))
        commission = Decimal("2.25")
    if revenge:
        unit *= 2
    price = (price / tick).quantize(Decimal(1)) * tick
    # A modest edge overall; revenge entries lose more often than they win.
    wins = rng.random() < (0.35 if revenge else 0.58)
    move = tick * rng.randint(5, 60) * (1 if wins else -Decimal("0.9"))
    exit_price = ((price + (-move if short else move)) / tick).quantize(Decimal(1)) * tick
    entry_side, exit_side = ("sell", "buy") if short else ("buy", "sell")
    legs = [(opened, entry_side, unit, price)]
    if rng.random() < 0.35:
        legs.append((opened + dt.timedelta(minutes=rng.randint(2, 20)), entry_side, unit, price))
    total = sum((leg[2] for leg in legs), Decimal(0))
    # Winners are cut quickly; losers are hoped back for much longer.
    held = rng.randint(3, 35) if wins else rng.randint(40, 150)
    closed = legs[-1][0] + dt.timedelta(minutes=held)
    legs.append((closed, exit_side, total, exit_price))
    fills = []
    for index, (at, side, quantity, fill_price) in enumerate(legs):
        identifier = hashlib.sha256(f"demo-{sequence}-{index}".encode()).hexdigest()[:20]
        fills.append(
            ExecutionIn(
                broker_execution_id=identifier,
                executed_at=at,
                instrument=instrument,
                side=side,
                quantity=quantity,
                price=fill_price,
                commission=commission,
                fees=(quantity * Decimal("0.0035")).quantize(Decimal("0.01")),
            )
        )
    return _Trade(fills, closed, lost=not wins)
