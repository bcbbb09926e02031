"""Synthetic traders: closed trades with planted or no behaviour, and core positions of them."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Sequence
from decimal import Decimal

from tradeloop_contracts import (
    Account,
    Instrument,
    JournalEntry,
    Playbook,
    PlaybookCriterion,
    Position,
    PositionPlaybook,
    Violation,
)

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


def positions_of(
    trades: Sequence[ClosedTrade], currency: str = "USD", account_id: uuid.UUID | None = None
) -> list[Position]:
    """The closed positions core would serve for these trades (in one account)."""
    return [
        Position(
            id=item.id,
            account_id=account_id or uuid.UUID(int=1),
            instrument=Instrument(
                symbol=item.symbol or "AAPL", asset_class="stock", currency=currency
            ),
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
            tags=list(item.tags),
        )
        for item in trades
    ]


def account(name: str, currency: str = "USD") -> Account:
    """One of a trader's accounts, as core lists it."""
    return Account(
        id=uuid.uuid4(),
        name=name,
        broker="ibkr",
        base_currency=currency,
        time_zone="America/New_York",
        matching_method="fifo",
        breakeven_band=Decimal(0),
        created_at=START,
    )


def journal_entry(body: str, day: dt.date, mood: int | None = None) -> JournalEntry:
    """A journal entry about a trading day, written that evening."""
    written = dt.datetime.combine(day, dt.time(21, 0), tzinfo=dt.UTC)
    return JournalEntry(
        id=uuid.uuid4(), day=day, body=body, mood=mood, created_at=written, updated_at=written
    )


def daily_trader(
    seed: int, days: int, good_days: set[int], edge: float = 0.0, per_day: int = 2
) -> list[ClosedTrade]:
    """`per_day` trades each weekday from START; days in `good_days` make `edge` more each."""
    rng = random.Random(seed)
    result = []
    day = START
    for index in range(days):
        while day.weekday() >= 5:
            day += dt.timedelta(days=1)
        for slot in range(per_day):
            mean = edge if index in good_days else 0.0
            pnl = Decimal(str(round(rng.gauss(mean, 100.0), 2)))
            result.append(trade(str(pnl), 600, day + dt.timedelta(hours=slot + 1)))
        day += dt.timedelta(days=1)
    return result


def trading_days(trades: Sequence[ClosedTrade]) -> list[dt.date]:
    """The distinct closing days of the trades, in order."""
    return sorted({item.closed_at.date() for item in trades})


def violations_of(
    broken: Sequence[ClosedTrade], rule_kind: str = "cooldown_after_loss", currency: str = "USD"
) -> list[Violation]:
    """One violation of one rule per trade, each costing the trade's net P&L, as core records it."""
    rule_id = uuid.uuid4()
    return [
        Violation(
            id=uuid.uuid4(),
            rule_id=rule_id,
            rule_kind=rule_kind,
            plan_version=1,
            position_id=item.id,
            day=item.opened_at.date(),
            observed="opened 4 minutes after a loss",
            allowed="15 minutes",
            cost=item.net_pnl,
            currency=currency,
            detected_at=item.closed_at,
        )
        for item in broken
    ]


def playbook(name: str, *criteria: str) -> Playbook:
    """A playbook as core lists it, with new criteria ids."""
    return Playbook(
        id=uuid.uuid4(),
        name=name,
        criteria=[PlaybookCriterion(id=uuid.uuid4(), text=text) for text in criteria],
        positions=0,
        created_at=START,
        updated_at=START,
    )


def following(position: Position, chosen: Playbook, *met: str) -> Position:
    """The position under `chosen`, having met the criteria of those texts."""
    ids = [item.id for item in chosen.criteria if item.text in met]
    return position.model_copy(
        update={
            "playbook": PositionPlaybook(
                playbook_id=chosen.id,
                name=chosen.name,
                criteria_met=ids,
                criteria_total=len(chosen.criteria),
            )
        }
    )
