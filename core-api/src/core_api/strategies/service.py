"""Rebuilding an account's strategies over its positions, and describing a strategy."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, bindparam, delete, insert, or_, select, update
from sqlalchemy.orm import Session
from tradeloop_contracts import Position, Strategy

from core_api.accounts.models import AccountRecord
from core_api.executions.models import ExecutionRecord
from core_api.kit.clock import utcnow
from core_api.kit.lookup import KEYS_PER_STATEMENT
from core_api.positions.matching import outcome
from core_api.positions.models import PositionFillRecord, PositionRecord
from core_api.statistics.read_model import refresh_daily_pnl, refresh_strategy_days
from core_api.strategies.grouping import OPTION_CLASSES, Group, Leg, group, rolls
from core_api.strategies.models import StrategyRecord

_POSITIONS = PositionRecord.metadata.tables["positions"]
_STRATEGIES = StrategyRecord.metadata.tables["strategies"]
# The columns a rebuild sets; a stored strategy whose values differ is rewritten.
_TOTALS = (
    "underlying",
    "kind",
    "status",
    "opened_at",
    "closed_at",
    "opened_day",
    "closed_day",
    "realised_pnl_gross",
    "fees",
    "realised_pnl_net",
    "realised_pnl_net_base",
    "currency",
    "outcome",
    "rolled_from_id",
)


def regroup(session: Session, account: AccountRecord, keys: Iterable[tuple[str, str]]) -> None:
    """Rebuilds the account's strategies on the underlyings of the (asset class, symbol) keys.

    A strategy keeps its id while it keeps one of its legs (the one sharing the most legs
    with it wins it); the legs' `strategy_id`, the roll links and the statistics rows of
    the days that changed follow. Underlyings without options or strategies cost one query.
    """
    underlyings = _underlyings(session, account.id, keys)
    if not underlyings:
        return
    of_legs = _of_underlyings(account.id, underlyings)
    rows = {
        row.id: row
        for row in session.execute(
            select(*_LEG_COLUMNS)
            .join(ExecutionRecord, ExecutionRecord.id == PositionRecord.opening_execution_id)
            .where(of_legs)
        )
    }
    closing = _closing_orders(session, of_legs)
    groups = group(_leg(row, closing.get(row.id)) for row in rows.values())
    before = {
        row.id: _stored(row)
        for row in session.execute(
            select(StrategyRecord.id, *(getattr(StrategyRecord, name) for name in _TOTALS)).where(
                StrategyRecord.account_id == account.id,
                StrategyRecord.underlying.in_(underlyings),
            )
        )
    }
    ids = _kept_ids(groups, rows, before.keys())
    links = rolls(groups)
    now = utcnow()
    after: dict[uuid.UUID, dict[str, Any]] = {}
    for index, strategy in enumerate(groups):
        legs = [rows[leg.position_id] for leg in strategy.legs]
        rolled_from = ids[links[index]] if index in links else None
        after[ids[index]] = _totals(strategy, legs, account.breakeven_band) | {
            "rolled_from_id": rolled_from
        }
    created = [
        {
            **values,
            "id": strategy_id,
            "rolled_from_id": None,  # linked below, once every strategy exists
            "user_id": account.user_id,
            "account_id": account.id,
            "created_at": now,
            "updated_at": now,
        }
        for strategy_id, values in after.items()
        if strategy_id not in before
    ]
    if created:
        session.execute(insert(_STRATEGIES), created)
    changed = [
        {**values, "strategy_id": strategy_id, "updated_at": now}
        for strategy_id, values in after.items()
        if (strategy_id in before and before[strategy_id] != values)
        or (strategy_id not in before and values["rolled_from_id"] is not None)
    ]
    if changed:
        session.execute(
            update(_STRATEGIES).where(_STRATEGIES.c.id == bindparam("strategy_id")), changed
        )
    strategy_of = {leg.position_id: ids[i] for i, s in enumerate(groups) for leg in s.legs}
    moved = [row for row in rows.values() if row.strategy_id != strategy_of.get(row.id)]
    if moved:
        session.execute(
            update(_POSITIONS).where(_POSITIONS.c.id == bindparam("position_id")),
            [{"position_id": row.id, "strategy_id": strategy_of.get(row.id)} for row in moved],
        )
        _expire_strategy_of(session, {row.id for row in moved})
    gone = [strategy_id for strategy_id in before if strategy_id not in after]
    if gone:
        session.execute(delete(_STRATEGIES).where(_STRATEGIES.c.id.in_(gone)))
    touched = {*gone, *(v["id"] for v in created), *(v["strategy_id"] for v in changed)}
    _refresh_statistics(
        session,
        account,
        moved,
        [values for i in touched for values in (before.get(i), after.get(i)) if values],
    )


_LEG_COLUMNS = (
    PositionRecord.id,
    PositionRecord.asset_class,
    PositionRecord.symbol,
    PositionRecord.underlying,
    PositionRecord.instrument,
    PositionRecord.direction,
    PositionRecord.status,
    PositionRecord.max_quantity,
    PositionRecord.opened_at,
    PositionRecord.closed_at,
    PositionRecord.opened_day,
    PositionRecord.closed_day,
    PositionRecord.realised_pnl_gross,
    PositionRecord.fees,
    PositionRecord.realised_pnl_net,
    PositionRecord.realised_pnl_net_base,
    PositionRecord.currency,
    PositionRecord.strategy_id,
    ExecutionRecord.order_id,
)
LegRow = Row[*tuple[Any, ...]]


def _underlyings(
    session: Session, account_id: uuid.UUID, keys: Iterable[tuple[str, str]]
) -> list[str]:
    """The underlyings of the keys on which the account holds options or strategies."""
    keys = list(keys)
    options = [symbol for asset_class, symbol in keys if asset_class in OPTION_CLASSES]
    named = {symbol for asset_class, symbol in keys if asset_class == "stock"}
    # Symbols go in slices: an import can touch tens of thousands of options, more
    # parameters than one PostgreSQL statement takes (65,535).
    for start in range(0, len(options), KEYS_PER_STATEMENT):
        named |= set(
            session.scalars(
                select(ExecutionRecord.underlying)
                .where(
                    ExecutionRecord.account_id == account_id,
                    ExecutionRecord.asset_class.in_(OPTION_CLASSES),
                    ExecutionRecord.symbol.in_(options[start : start + KEYS_PER_STATEMENT]),
                )
                .distinct()
            )
        )
    named.discard(None)
    names = sorted(named)
    found: set[str] = set()
    for start in range(0, len(names), KEYS_PER_STATEMENT):
        some = names[start : start + KEYS_PER_STATEMENT]
        with_options = select(PositionRecord.underlying).where(
            PositionRecord.account_id == account_id,
            PositionRecord.underlying.in_(some),
            PositionRecord.asset_class.in_(OPTION_CLASSES),
        )
        with_strategies = select(StrategyRecord.underlying).where(
            StrategyRecord.account_id == account_id, StrategyRecord.underlying.in_(some)
        )
        found |= {name for name in session.scalars(with_options.union(with_strategies)) if name}
    return sorted(found)


def _of_underlyings(account_id: uuid.UUID, underlyings: Sequence[str]) -> ColumnElement[bool]:
    """The account's options on these underlyings, and its positions in the stocks."""
    return and_(
        PositionRecord.account_id == account_id,
        or_(
            and_(
                PositionRecord.asset_class.in_(OPTION_CLASSES),
                PositionRecord.underlying.in_(underlyings),
            ),
            and_(PositionRecord.asset_class == "stock", PositionRecord.symbol.in_(underlyings)),
        ),
    )


def _closing_orders(session: Session, of_legs: ColumnElement[bool]) -> dict[uuid.UUID, str | None]:
    """The order id of each closed position's last fill (the latest recorded at its close)."""
    found: dict[uuid.UUID, str | None] = {}
    for position_id, order_id in session.execute(
        select(PositionFillRecord.position_id, ExecutionRecord.order_id)
        .join(PositionRecord, PositionRecord.id == PositionFillRecord.position_id)
        .join(ExecutionRecord, ExecutionRecord.id == PositionFillRecord.execution_id)
        .where(of_legs, ExecutionRecord.executed_at == PositionRecord.closed_at)
        .order_by(ExecutionRecord.recorded_order)
    ):
        found[position_id] = order_id
    return found


def _leg(row: LegRow, closing_order_id: str | None) -> Leg:
    instrument: Mapping[str, Any] = row.instrument
    expiry = instrument.get("expiry")
    strike = instrument.get("strike")
    return Leg(
        position_id=row.id,
        asset_class=row.asset_class,
        underlying=row.underlying if row.asset_class in OPTION_CLASSES else row.symbol,
        direction=row.direction,
        quantity=row.max_quantity,
        multiplier=Decimal(str(instrument.get("multiplier", "1"))),
        opened_at=row.opened_at,
        opening_order_id=row.order_id,
        closed_at=row.closed_at,
        closing_order_id=closing_order_id,
        right=instrument.get("right"),
        strike=Decimal(str(strike)) if strike is not None else None,
        expiry=dt.date.fromisoformat(expiry) if expiry else None,
    )


def _kept_ids(
    groups: Sequence[Group], rows: Mapping[uuid.UUID, LegRow], stored: Iterable[uuid.UUID]
) -> list[uuid.UUID]:
    """Each group's id: the stored strategy sharing most of its legs, if not taken; else new."""
    available = set(stored)
    ids = []
    for strategy in groups:
        shared = Counter(
            rows[leg.position_id].strategy_id
            for leg in strategy.legs
            if rows[leg.position_id].strategy_id in available
        )
        # Most legs shared first, then the smaller id, so the choice never depends on order.
        ranked = sorted(shared.items(), key=lambda item: (-item[1], str(item[0])))
        chosen = ranked[0][0] if ranked else uuid.uuid4()
        available.discard(chosen)
        ids.append(chosen)
    return ids


def _totals(strategy: Group, legs: Sequence[LegRow], band: Decimal) -> dict[str, Any]:
    """A strategy's columns from its legs: sums of their results, first open, last close."""
    first = min(legs, key=lambda leg: (leg.opened_at, leg.id))
    closed = all(leg.status == "closed" for leg in legs)
    last = max(legs, key=lambda leg: (leg.closed_at, leg.id)) if closed else None
    net = sum((leg.realised_pnl_net for leg in legs), Decimal(0))
    bases = [leg.realised_pnl_net_base for leg in legs]
    return {
        "underlying": strategy.legs[0].underlying,
        "kind": strategy.kind,
        "status": "closed" if closed else "open",
        "opened_at": first.opened_at,
        "closed_at": last.closed_at if last else None,
        "opened_day": first.opened_day,
        "closed_day": last.closed_day if last else None,
        "realised_pnl_gross": sum((leg.realised_pnl_gross for leg in legs), Decimal(0)),
        "fees": sum((leg.fees for leg in legs), Decimal(0)),
        "realised_pnl_net": net,
        "realised_pnl_net_base": None if None in bases else sum(bases, Decimal(0)),
        "currency": first.currency,
        "outcome": outcome(net, band) if closed else None,
    }


def _stored(row: Row[Any]) -> dict[str, Any]:
    return {name: getattr(row, name) for name in _TOTALS}


def _expire_strategy_of(session: Session, position_ids: set[uuid.UUID]) -> None:
    """Positions the session holds read their rewritten `strategy_id` again."""
    for held in list(session.identity_map.values()):
        if isinstance(held, PositionRecord) and held.id in position_ids:
            session.expire(held, ["strategy_id"])


def _refresh_statistics(
    session: Session,
    account: AccountRecord,
    moved: Sequence[LegRow],
    strategies: Iterable[Mapping[str, Any]],
) -> None:
    """Rebuilds the statistics rows of the days whose trades changed: a leg that joined or
    left a strategy changes its instrument's day; a strategy that came, went or changed
    (its values before and after) changes its underlying's days."""
    instrument_days: dict[tuple[str, str], set[dt.date]] = {}
    for row in moved:
        if row.closed_day is not None:
            instrument_days.setdefault((row.asset_class, row.symbol), set()).add(row.closed_day)
    strategy_days: dict[str, set[dt.date]] = {}
    for values in strategies:
        if values["closed_day"] is not None:
            strategy_days.setdefault(values["underlying"], set()).add(values["closed_day"])
    refresh_daily_pnl(session, account.user_id, account.id, instrument_days)
    refresh_strategy_days(session, account.user_id, account.id, strategy_days)


def to_strategy(
    record: StrategyRecord, legs: Sequence[Position], rolled_to: uuid.UUID | None
) -> Strategy:
    """The strategy as the API shows it, with its legs in opening order."""
    return Strategy(
        id=record.id,
        account_id=record.account_id,
        kind=record.kind,
        underlying=record.underlying,
        status=record.status,
        opened_at=record.opened_at,
        closed_at=record.closed_at,
        realised_pnl_net=record.realised_pnl_net,
        fees=record.fees,
        currency=record.currency,
        legs=sorted(legs, key=lambda leg: (leg.opened_at, str(leg.id))),
        rolled_from=record.rolled_from_id,
        rolled_to=rolled_to,
    )
