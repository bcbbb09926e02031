"""Keeping the daily P&L table in step with positions, and reading statistics from it.

A rematch rebuilds the rows of exactly the account, instruments and trading days whose
closed positions it changed, so the table always equals a full recomputation from the
positions (tests check both ways). Each account's days are also kept summed over its
instruments, which is all the dashboard statistics read. Amounts are in the account's
base currency where the position has a base result, else in the instrument's currency.
A multi-leg strategy counts as one trade: its legs are left out of their instruments'
rows and the strategy has rows of its own (`refresh_strategy_days`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Date,
    Select,
    String,
    Uuid,
    and_,
    bindparam,
    column,
    delete,
    func,
    insert,
    or_,
    select,
)
from sqlalchemy.orm import Session

from core_api.kit.bulk import insert_rows
from core_api.kit.lookup import KEYS_PER_STATEMENT, lookup_table, of_instruments
from core_api.positions.models import PositionRecord, effective_stop_column
from core_api.statistics.calculations import DayTotals, r_multiple
from core_api.statistics.models import DailyAccountPnlRecord, DailyPnlRecord
from core_api.strategies.models import StrategyRecord

_DAILY_PNL = DailyPnlRecord.metadata.tables["daily_pnl"]
# Table columns, not the ORM's: rows come back through SQLAlchemy Core, without ORM loading.
_POSITIONS = PositionRecord.metadata.tables["positions"]
_DAILY_ACCOUNT_PNL = DailyAccountPnlRecord.metadata.tables["daily_account_pnl"]
# The asset class of the rows that count each closed strategy as one trade.
STRATEGY_ROWS = "strategy"


def refresh_daily_pnl(
    session: Session,
    user_id: uuid.UUID,
    account_id: uuid.UUID,
    days: Mapping[tuple[str, str], Collection[dt.date] | None],
) -> None:
    """Rebuilds the daily rows of one account's (asset class, symbol) pairs.

    `days` names, per instrument, the trading days to rebuild, or None for all of them.
    """
    changed = [(key, chosen) for key, chosen in days.items() if chosen is None or chosen]
    account_days: set[dt.date] = set()
    for start in range(0, len(changed), KEYS_PER_STATEMENT):
        account_days |= _refresh_instrument_days(
            session, user_id, account_id, dict(changed[start : start + KEYS_PER_STATEMENT])
        )
    _refresh_account_days(session, user_id, account_id, account_days)


def _refresh_instrument_days(
    session: Session,
    user_id: uuid.UUID,
    account_id: uuid.UUID,
    days: Mapping[tuple[str, str], Collection[dt.date] | None],
) -> set[dt.date]:
    """Rebuilds the rows of these instruments' days; returns every day it touched.

    Rows and positions are read from each instrument's first day to rebuild on (one
    lookup per instrument); those of days in between that did not change are skipped.
    """
    # The account is a column of the table joined, not a condition of its own: see
    # `instrument_times`.
    wanted = lookup_table(
        session,
        "wanted",
        (
            column("account_id", Uuid()),
            column("asset_class", String),
            column("symbol", String),
            column("first_day", Date()),
        ),
        [
            (account_id, asset_class, symbol, min(chosen) if chosen else dt.date.min)
            for (asset_class, symbol), chosen in days.items()
        ],
    )

    def rebuilt(asset_class: str, symbol: str, day: dt.date) -> bool:
        chosen = days[(asset_class, symbol)]
        return chosen is None or day in chosen

    stale: list[dict[str, Any]] = [
        {"asset_class": asset_class, "symbol": symbol, "day": day}
        for asset_class, symbol, day in session.execute(
            select(_DAILY_PNL.c.asset_class, _DAILY_PNL.c.symbol, _DAILY_PNL.c.day)
            .select_from(wanted)
            .join(
                _DAILY_PNL,
                and_(
                    of_instruments(_DAILY_PNL.c, wanted),
                    _DAILY_PNL.c.day >= wanted.c.first_day,
                ),
            )
        )
        if rebuilt(asset_class, symbol, day)
    ]
    if stale:
        session.execute(
            delete(_DAILY_PNL).where(
                _DAILY_PNL.c.account_id == account_id,
                _DAILY_PNL.c.asset_class == bindparam("asset_class"),
                _DAILY_PNL.c.symbol == bindparam("symbol"),
                _DAILY_PNL.c.day == bindparam("day"),
            ),
            stale,
        )
    closed = (
        row
        for row in session.execute(
            select(
                *(
                    _POSITIONS.c[name]
                    for name in (
                        "asset_class",
                        "symbol",
                        "closed_day",
                        "realised_pnl_net",
                        "realised_pnl_net_base",
                        "realised_pnl_gross",
                        "fees",
                        "outcome",
                    )
                ),
                effective_stop_column(_POSITIONS.c),
                *(
                    _POSITIONS.c[name]
                    for name in ("avg_entry_price", "max_quantity", "instrument", "strategy_id")
                ),
            )
            .select_from(wanted)
            .join(
                _POSITIONS,
                and_(
                    of_instruments(_POSITIONS.c, wanted),
                    _POSITIONS.c.closed_day >= wanted.c.first_day,
                ),
            )
            .where(_POSITIONS.c.status == "closed")
        )
        # A strategy's legs count as one trade, in its own rows (refresh_strategy_days).
        # They are left out here rather than in SQL: given `strategy_id IS NULL`, SQLite
        # walks the strategy index (every position of every trader outside a strategy)
        # and tests each against every instrument, instead of looking the instruments up.
        if row.strategy_id is None and rebuilt(row.asset_class, row.symbol, row.closed_day)
    )
    rows: dict[tuple[str, str, dt.date], dict[str, Any]] = {}
    for (
        asset_class,
        symbol,
        day,
        net,
        net_base,
        gross,
        fees,
        outcome,
        initial_stop,
        entry,
        size,
        instrument,
        _strategy,
    ) in closed:
        assert day is not None  # every closed position has its trading day
        row = _count_trade(
            rows,
            account_id,
            user_id,
            (asset_class, symbol, day),
            net,
            net_base,
            gross,
            fees,
            outcome,
        )
        if initial_stop is not None:
            multiplier = Decimal(str(instrument.get("multiplier", "1")))
            r = r_multiple(net, entry, initial_stop, size, multiplier)
            if r is not None:
                row["trades_with_r"] += 1
                row["r_total"] += r
    if rows:
        insert_rows(session, _DAILY_PNL, list(rows.values()))
    touched: set[dt.date] = {row["day"] for row in stale}
    return touched | {day for *_, day in rows}


def refresh_strategy_days(
    session: Session,
    user_id: uuid.UUID,
    account_id: uuid.UUID,
    days: Mapping[str, Collection[dt.date]],
) -> None:
    """Rebuilds the daily rows of one account's strategies on these underlyings and days.

    A closed strategy is one trade on the trading day its last leg closed: its legs' net
    P&L summed, its outcome judged on that sum; it has no R. Its rows sit beside the
    instruments' under the asset class `strategy` and the underlying as symbol.
    """
    changed = {underlying: set(on) for underlying, on in days.items() if on}
    if not changed:
        return
    session.execute(
        delete(DailyPnlRecord)
        .where(
            DailyPnlRecord.account_id == account_id,
            DailyPnlRecord.asset_class == STRATEGY_ROWS,
            or_(
                *(
                    and_(DailyPnlRecord.symbol == underlying, DailyPnlRecord.day.in_(on))
                    for underlying, on in changed.items()
                )
            ),
        )
        .execution_options(synchronize_session=False)
    )
    closed = session.execute(
        select(
            StrategyRecord.underlying,
            StrategyRecord.closed_day,
            StrategyRecord.realised_pnl_net,
            StrategyRecord.realised_pnl_net_base,
            StrategyRecord.realised_pnl_gross,
            StrategyRecord.fees,
            StrategyRecord.outcome,
        ).where(
            StrategyRecord.account_id == account_id,
            StrategyRecord.status == "closed",
            or_(
                *(
                    and_(StrategyRecord.underlying == underlying, StrategyRecord.closed_day.in_(on))
                    for underlying, on in changed.items()
                )
            ),
        )
    )
    rows: dict[tuple[str, str, dt.date], dict[str, Any]] = {}
    for underlying, day, net, net_base, gross, fees, outcome in closed:
        assert day is not None  # every closed strategy has its trading day
        _count_trade(
            rows,
            account_id,
            user_id,
            (STRATEGY_ROWS, underlying, day),
            net,
            net_base,
            gross,
            fees,
            outcome,
        )
    if rows:
        session.execute(insert(_DAILY_PNL), list(rows.values()))
    _refresh_account_days(session, user_id, account_id, set().union(*changed.values()))


def _count_trade(
    rows: dict[tuple[str, str, dt.date], dict[str, Any]],
    account_id: uuid.UUID,
    user_id: uuid.UUID,
    key: tuple[str, str, dt.date],
    net: Decimal,
    net_base: Decimal | None,
    gross: Decimal,
    fees: Decimal,
    outcome: str | None,
) -> dict[str, Any]:
    """Adds one closed trade to its day's row (created when missing); returns the row."""
    row = rows.get(key)
    if row is None:
        asset_class, symbol, day = key
        row = rows[key] = {
            "account_id": account_id,
            "asset_class": asset_class,
            "symbol": symbol,
            "day": day,
            "user_id": user_id,
            "trades": 0,
            "wins": 0,
            "losses": 0,
            "net": Decimal(0),
            "gross": Decimal(0),
            "fees": Decimal(0),
            "win_total": Decimal(0),
            "loss_total": Decimal(0),
            "trades_with_r": 0,
            "r_total": Decimal(0),
        }
    # Base currency where the trade has a base result.
    amount = net_base if net_base is not None else net
    row["trades"] += 1
    row["net"] += amount
    row["gross"] += gross
    row["fees"] += fees
    if outcome == "win":
        row["wins"] += 1
        row["win_total"] += amount
    elif outcome == "loss":
        row["losses"] += 1
        row["loss_total"] += amount
    return row


_SUMMED = (
    "trades",
    "wins",
    "losses",
    "net",
    "gross",
    "fees",
    "win_total",
    "loss_total",
    "trades_with_r",
    "r_total",
)


def _refresh_account_days(
    session: Session, user_id: uuid.UUID, account_id: uuid.UUID, days: set[dt.date]
) -> None:
    """Rebuilds the account's rows of these days from its instrument rows."""
    if not days:
        return
    session.execute(
        delete(DailyAccountPnlRecord)
        .where(DailyAccountPnlRecord.account_id == account_id, DailyAccountPnlRecord.day.in_(days))
        .execution_options(synchronize_session=False)
    )
    rows: dict[dt.date, dict[str, Any]] = {}
    for found in session.execute(
        select(_DAILY_PNL.c.day, *(_DAILY_PNL.c[name] for name in _SUMMED)).where(
            _DAILY_PNL.c.account_id == account_id, _DAILY_PNL.c.day.in_(days)
        )
    ):
        row = rows.get(found.day)
        if row is None:
            rows[found.day] = {
                "account_id": account_id,
                "user_id": user_id,
                "day": found.day,
                **{name: getattr(found, name) for name in _SUMMED},
            }
        else:
            for name in _SUMMED:
                row[name] += getattr(found, name)
    if rows:
        insert_rows(session, _DAILY_ACCOUNT_PNL, list(rows.values()))


def day_totals(
    session: Session,
    user_id: uuid.UUID,
    account_id: uuid.UUID | None,
    start: dt.date | None,
    end: dt.date | None,
) -> list[DayTotals]:
    """Per trading day sums over the trader's accounts (or one), oldest first."""
    conditions = [DailyAccountPnlRecord.user_id == user_id]
    if account_id is not None:
        conditions.append(DailyAccountPnlRecord.account_id == account_id)
    if start is not None:
        conditions.append(DailyAccountPnlRecord.day >= start)
    if end is not None:
        conditions.append(DailyAccountPnlRecord.day <= end)
    columns = (
        DailyAccountPnlRecord.trades,
        DailyAccountPnlRecord.wins,
        DailyAccountPnlRecord.losses,
        DailyAccountPnlRecord.net,
        DailyAccountPnlRecord.gross,
        DailyAccountPnlRecord.fees,
        DailyAccountPnlRecord.win_total,
        DailyAccountPnlRecord.loss_total,
        DailyAccountPnlRecord.trades_with_r,
        DailyAccountPnlRecord.r_total,
    )
    statement: Select[*tuple[Any, ...]]
    if session.get_bind().dialect.name == "postgresql":
        # NUMERIC sums are exact: one row per day leaves the database.
        statement = (
            select(
                DailyAccountPnlRecord.day,
                *(func.sum(column).label(column.key) for column in columns),
            )
            .where(*conditions)
            .group_by(DailyAccountPnlRecord.day)
        )
    else:
        # SQLite keeps the amounts as text, which its SUM would add as floats.
        statement = select(DailyAccountPnlRecord.day, *columns).where(*conditions)
    days: dict[dt.date, DayTotals] = {}
    for found in session.execute(statement):
        values: tuple[Any, ...] = tuple(found)
        day, trades, wins, losses, net, gross, fees, win_total, loss_total, with_r, r_total = values
        row = DayTotals(
            day=day,
            trades=int(trades),
            wins=int(wins),
            losses=int(losses),
            net=net,
            gross=gross,
            fees=fees,
            win_total=win_total,
            loss_total=loss_total,
            trades_with_r=int(with_r),
            r_total=r_total,
        )
        days[day] = days[day].plus(row) if day in days else row
    return [days[day] for day in sorted(days)]
