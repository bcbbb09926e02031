"""Keeping the daily P&L table in step with positions, and reading statistics from it.

A rematch rebuilds the rows of exactly the account, instruments and trading days whose
closed positions it changed, so the table always equals a full recomputation from the
positions (tests check both ways).
Amounts are in the account's base currency where the position has a base result, else
in the instrument's currency.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import Session

from core_api.positions.models import PositionRecord
from core_api.statistics.calculations import DayTotals
from core_api.statistics.models import DailyPnlRecord


def refresh_daily_pnl(
    session: Session,
    user_id: uuid.UUID,
    account_id: uuid.UUID,
    instrument: tuple[str, str],
    days: Collection[dt.date] | None = None,
) -> None:
    """Rebuilds the daily rows of one (asset class, symbol) of one account: on `days`, or all."""
    asset_class, symbol = instrument
    rows_of_instrument = [
        DailyPnlRecord.account_id == account_id,
        DailyPnlRecord.asset_class == asset_class,
        DailyPnlRecord.symbol == symbol,
    ]
    closed_positions = [
        PositionRecord.account_id == account_id,
        PositionRecord.asset_class == asset_class,
        PositionRecord.symbol == symbol,
        PositionRecord.status == "closed",
    ]
    if days is not None:
        if not days:
            return
        rows_of_instrument.append(DailyPnlRecord.day.in_(days))
        closed_positions.append(PositionRecord.closed_day.in_(days))
    session.execute(delete(DailyPnlRecord).where(*rows_of_instrument))
    rows: dict[dt.date, DailyPnlRecord] = {}
    for position in session.scalars(select(PositionRecord).where(*closed_positions)):
        assert position.closed_day is not None
        row = rows.get(position.closed_day)
        if row is None:
            row = rows[position.closed_day] = DailyPnlRecord(
                account_id=account_id,
                asset_class=asset_class,
                symbol=symbol,
                day=position.closed_day,
                user_id=user_id,
                trades=0,
                wins=0,
                losses=0,
                net=Decimal(0),
                gross=Decimal(0),
                fees=Decimal(0),
                win_total=Decimal(0),
                loss_total=Decimal(0),
            )
        _add(row, position)
    session.add_all(rows.values())
    session.flush()


def _add(row: DailyPnlRecord, position: PositionRecord) -> None:
    net = (
        position.realised_pnl_net_base
        if position.realised_pnl_net_base is not None
        else position.realised_pnl_net
    )
    row.trades += 1
    row.net += net
    row.gross += position.realised_pnl_gross
    row.fees += position.fees
    if position.outcome == "win":
        row.wins += 1
        row.win_total += net
    elif position.outcome == "loss":
        row.losses += 1
        row.loss_total += net


def day_totals(
    session: Session,
    user_id: uuid.UUID,
    account_id: uuid.UUID | None,
    start: dt.date | None,
    end: dt.date | None,
) -> list[DayTotals]:
    """Per trading day sums over the trader's accounts (or one), oldest first."""
    conditions = [DailyPnlRecord.user_id == user_id]
    if account_id is not None:
        conditions.append(DailyPnlRecord.account_id == account_id)
    if start is not None:
        conditions.append(DailyPnlRecord.day >= start)
    if end is not None:
        conditions.append(DailyPnlRecord.day <= end)
    columns = (
        DailyPnlRecord.trades,
        DailyPnlRecord.wins,
        DailyPnlRecord.losses,
        DailyPnlRecord.net,
        DailyPnlRecord.gross,
        DailyPnlRecord.fees,
        DailyPnlRecord.win_total,
        DailyPnlRecord.loss_total,
    )
    statement: Select[*tuple[Any, ...]]
    if session.get_bind().dialect.name == "postgresql":
        # NUMERIC sums are exact: one row per day leaves the database.
        statement = (
            select(DailyPnlRecord.day, *(func.sum(column).label(column.key) for column in columns))
            .where(*conditions)
            .group_by(DailyPnlRecord.day)
        )
    else:
        # SQLite keeps the amounts as text, which its SUM would add as floats.
        statement = select(DailyPnlRecord.day, *columns).where(*conditions)
    days: dict[dt.date, DayTotals] = {}
    for found in session.execute(statement):
        values: tuple[Any, ...] = tuple(found)
        day, trades, wins, losses, net, gross, fees, win_total, loss_total = values
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
        )
        days[day] = days[day].plus(row) if day in days else row
    return [days[day] for day in sorted(days)]
