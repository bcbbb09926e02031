"""Rematching positions after new executions, and describing positions."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, and_, delete, false, func, insert, not_, or_, select
from sqlalchemy.orm import Session
from tradeloop_contracts import (
    Instrument,
    MarketDataEnriched,
    Position,
    PositionClosed,
    PositionExcursions,
    PositionUpdate,
)

from core_api.accounts.models import AccountRecord
from core_api.errors import AppError, FieldError
from core_api.executions.models import ExecutionRecord
from core_api.instruments.sessions import trading_day
from core_api.outbox.service import record_event
from core_api.positions.matching import (
    Fill,
    MatchedPosition,
    match,
    method_named,
    outcome,
    remainder_after_close,
)
from core_api.positions.models import (
    PositionFillRecord,
    PositionRecord,
    PositionStopRecord,
    PositionTagRecord,
)
from core_api.statistics import calculations
from core_api.statistics.read_model import refresh_daily_pnl
from core_api.tags.service import register_tags

TAG_MAX_LENGTH = 50


class InstrumentKey(NamedTuple):
    asset_class: str
    symbol: str


def rematch(
    session: Session,
    account: AccountRecord,
    keys: Iterable[InstrumentKey],
    traceparent: str | None,
    since: Mapping[InstrumentKey, dt.datetime] | None = None,
) -> list[PositionRecord]:
    """Rebuilds the positions of the given instruments of one account from their fills.

    An instrument in `since` (the time of its earliest new fill) keeps the positions that
    closed before that time and rebuilds only the later ones; the others are rebuilt from
    their first fill. Either way the result equals matching every fill from the start.
    Positions keep their ids while the same fill opens them. Returns the positions that
    closed now and writes `position.closed.v1` for each.
    """
    keys = sorted(set(keys))
    if not keys:
        return []
    scope = _Scope(session, account, keys, {k: t for k, t in (since or {}).items() if k in keys})
    executions = session.scalars(select(ExecutionRecord).where(scope.executions_to_match())).all()
    fills = scope.unsettled_fills(executions)
    existing = {
        position.opening_execution_id: position
        for position in session.scalars(select(PositionRecord).where(scope.positions_to_rebuild()))
    }
    # Per instrument, the trading days whose closed positions change (None: any day may).
    days: dict[tuple[str, str], set[dt.date] | None] = {
        key: set() if key in scope.since else None for key in keys
    }
    for replaced in existing.values():
        _add_day(days, replaced)
    if existing:
        session.execute(
            delete(PositionFillRecord).where(
                PositionFillRecord.position_id.in_([p.id for p in existing.values()])
            )
        )
    by_id = {execution.id: execution for execution in executions}
    method = method_named(account.matching_method)
    newly_closed = []
    kept: set[uuid.UUID] = set()
    shares: list[dict[str, object]] = []
    for key in keys:
        for result in match(fills.get(key, []), method):
            opening = by_id[result.opening_fill_id]  # type: ignore[index]
            position = existing.get(opening.id)
            was_closed = position is not None and position.status == "closed"
            if position is None:
                position = PositionRecord(
                    id=uuid.uuid4(),
                    user_id=account.user_id,
                    account_id=account.id,
                    opening_execution_id=opening.id,
                    asset_class=key.asset_class,
                    symbol=key.symbol,
                )
                session.add(position)
            _apply(position, result, opening, account)
            _add_day(days, position)
            kept.add(opening.id)
            shares += (
                {"position_id": position.id, "execution_id": s.fill_id, "quantity": s.quantity}
                for s in result.shares
            )
            if result.is_closed and not was_closed:
                newly_closed.append(position)
    for opening_id, position in existing.items():
        if opening_id not in kept:
            session.delete(position)
    # Positions first (one flush), then their fills in one statement.
    session.flush()
    if shares:
        session.execute(insert(PositionFillRecord), shares)
    refresh_daily_pnl(session, account.user_id, account.id, days)
    for position in newly_closed:
        record_event(
            session,
            "position.closed.v1",
            PositionClosed(
                user_id=account.user_id,
                position_id=position.id,
                account_id=account.id,
                symbol=position.symbol,
                realised_pnl_net=position.realised_pnl_net,
                currency=position.currency,
                outcome=position.outcome,
            ),
            traceparent,
        )
    return newly_closed


def _add_day(days: dict[tuple[str, str], set[dt.date] | None], position: PositionRecord) -> None:
    changed = days[(position.asset_class, position.symbol)]
    if changed is not None and position.closed_day is not None:
        changed.add(position.closed_day)


def _of_instrument(model: type[PositionRecord | ExecutionRecord], key: InstrumentKey) -> Any:
    return and_(model.asset_class == key.asset_class, model.symbol == key.symbol)


class _Scope:
    """What one rematch reads: every instrument in one statement per step.

    Positions are consecutive stretches of an instrument's fills in time order, so those
    that closed before the instrument's earliest new fill come first and cannot change:
    they are settled, and only the fills after them are matched again.
    """

    def __init__(
        self,
        session: Session,
        account: AccountRecord,
        keys: Sequence[InstrumentKey],
        since: Mapping[InstrumentKey, dt.datetime],
    ) -> None:
        self.session = session
        self.account = account
        self.keys = keys
        self.since = since
        self.settled = or_(
            false(),
            *(
                and_(_of_instrument(PositionRecord, key), PositionRecord.closed_at < at)
                for key, at in since.items()
            ),
        )
        self.settled_until: dict[InstrumentKey, dt.datetime] = {}
        if since:
            self.settled_until = {
                InstrumentKey(asset_class, symbol): until
                for asset_class, symbol, until in session.execute(
                    select(
                        PositionRecord.asset_class,
                        PositionRecord.symbol,
                        func.max(PositionRecord.closed_at),
                    )
                    .where(PositionRecord.account_id == account.id, self.settled)
                    .group_by(PositionRecord.asset_class, PositionRecord.symbol)
                )
                if until is not None
            }

    def executions_to_match(self) -> ColumnElement[bool]:
        """The fills from the close of each instrument's last settled position on."""
        per_instrument = []
        for key in self.keys:
            condition = _of_instrument(ExecutionRecord, key)
            if key in self.settled_until:
                condition = and_(condition, ExecutionRecord.executed_at >= self.settled_until[key])
            per_instrument.append(condition)
        return and_(ExecutionRecord.account_id == self.account.id, or_(*per_instrument))

    def positions_to_rebuild(self) -> ColumnElement[bool]:
        return and_(
            PositionRecord.account_id == self.account.id,
            or_(*(_of_instrument(PositionRecord, key) for key in self.keys)),
            # closed_at < since is NULL, not false, for an open position.
            or_(PositionRecord.closed_at.is_(None), not_(self.settled)),
        )

    def unsettled_fills(
        self, executions: Sequence[ExecutionRecord]
    ) -> dict[InstrumentKey, list[Fill]]:
        """Per instrument, the fills still to match: all of them, less what settled positions took.

        Only fills at the very time a settled position closed can be shared with it (the
        closing fill crossing zero, or fills of the same second).
        """
        taken: dict[uuid.UUID, Decimal] = {}
        if self.settled_until:
            at_the_boundary = or_(
                *(
                    and_(_of_instrument(ExecutionRecord, key), ExecutionRecord.executed_at == at)
                    for key, at in self.settled_until.items()
                )
            )
            for execution_id, quantity in self.session.execute(
                select(PositionFillRecord.execution_id, PositionFillRecord.quantity)
                .join(PositionRecord, PositionRecord.id == PositionFillRecord.position_id)
                .join(ExecutionRecord, ExecutionRecord.id == PositionFillRecord.execution_id)
                .where(PositionRecord.account_id == self.account.id, self.settled, at_the_boundary)
            ):
                taken[execution_id] = taken.get(execution_id, Decimal(0)) + quantity
        fills: dict[InstrumentKey, list[Fill]] = {}
        for execution in executions:
            fill = remainder_after_close(
                to_fill(execution, self.account.base_currency),
                taken.get(execution.id, Decimal(0)),
            )
            if fill is not None:
                key = InstrumentKey(execution.asset_class, execution.symbol)
                fills.setdefault(key, []).append(fill)
        return fills


def _apply(
    position: PositionRecord,
    result: MatchedPosition,
    opening: ExecutionRecord,
    account: AccountRecord,
) -> None:
    instrument = opening.instrument().model_dump(mode="json", exclude_none=True)
    if (position.closed_at, position.execution_count, position.max_quantity) != (
        result.closed_at,
        len(result.shares),
        result.max_quantity,
    ) or (position.instrument is not None and position.instrument != instrument):
        # Other fills, or another point value, make other excursions: unknown until
        # workers measure them again.
        _set_excursions(position, None)
    position.instrument = instrument
    position.underlying = opening.underlying or opening.root
    position.opened_day = trading_day(result.opened_at, opening.asset_class, account.time_zone)
    position.closed_day = (
        trading_day(result.closed_at, opening.asset_class, account.time_zone)
        if result.closed_at is not None
        else None
    )
    position.direction = result.direction
    position.status = "closed" if result.is_closed else "open"
    position.opened_at = result.opened_at
    position.closed_at = result.closed_at
    position.open_quantity = result.open_quantity
    position.max_quantity = result.max_quantity
    position.avg_entry_price = result.avg_entry_price
    position.avg_exit_price = result.avg_exit_price
    position.realised_pnl_gross = result.realised_pnl_gross
    position.fees = result.fees
    position.realised_pnl_net = result.realised_pnl_net
    position.realised_pnl_net_base = result.realised_pnl_net_base
    position.currency = opening.currency
    position.holding_seconds = result.holding_seconds
    position.execution_count = len(result.shares)
    position.outcome = (
        outcome(result.realised_pnl_net, account.breakeven_band) if result.is_closed else None
    )


def to_fill(execution: ExecutionRecord, base_currency: str) -> Fill:
    """The fill matching sees; its rate to the base currency is 1 in the base currency itself."""
    fx_rate = execution.fx_rate_to_base
    if fx_rate is None and execution.currency == base_currency:
        fx_rate = Decimal(1)
    return Fill(
        id=execution.id,
        executed_at=execution.executed_at,
        side=execution.side,  # type: ignore[arg-type]
        quantity=execution.quantity,
        price=execution.price,
        costs=execution.commission + execution.fees,
        multiplier=execution.multiplier,
        broker_execution_id=execution.broker_execution_id,
        recorded_order=execution.recorded_order,
        fx_rate=fx_rate,
    )


def update_position(
    session: Session, record: PositionRecord, body: PositionUpdate
) -> PositionRecord:
    """The position with the stop and tags the body sets (fields left out stay).

    Every stop set is kept in the stop history; `initial_stop` is the one R uses.
    A 422 problem for a negative stop or a blank or over-long tag.
    """
    if "initial_stop" in body.model_fields_set:
        if body.initial_stop is not None and body.initial_stop < 0:
            raise AppError(
                422, "Invalid request", errors=[FieldError("body.initial_stop", "is negative")]
            )
        if body.initial_stop is not None and body.initial_stop != record.initial_stop:
            session.add(PositionStopRecord(position_id=record.id, stop=body.initial_stop))
        record.initial_stop = body.initial_stop
        if record.closed_day is not None:
            # The day's R sums change with the stop.
            session.flush()
            refresh_daily_pnl(
                session,
                record.user_id,
                record.account_id,
                {(record.asset_class, record.symbol): {record.closed_day}},
            )
    if body.tags is not None:
        record.tags = clean_tags(body.tags, "body.tags")
        replace_tag_rows(session, [record])
        register_tags(session, record.user_id, record.tags)
    session.flush()
    return record


def replace_tag_rows(session: Session, records: Sequence[PositionRecord]) -> None:
    """Rewrites the tag rows (what list filters read) of `records` from their `tags`."""
    if not records:
        return
    session.execute(
        delete(PositionTagRecord).where(PositionTagRecord.position_id.in_([r.id for r in records]))
    )
    rows = [{"position_id": r.id, "name": tag.lower()} for r in records for tag in r.tags]
    if rows:
        session.execute(insert(PositionTagRecord), rows)


def store_excursions(
    session: Session, record: PositionRecord, body: PositionExcursions, traceparent: str | None
) -> None:
    """Keeps the MAE/MFE workers measured and announces `market_data.enriched.v1`.

    A 422 problem naming `body.currency` when it is not the position's currency.
    """
    if body.currency != record.currency:
        raise AppError(
            422,
            "Invalid request",
            errors=[FieldError("body.currency", f"is not the position's {record.currency}")],
        )
    _set_excursions(record, body)
    session.flush()
    record_event(
        session,
        "market_data.enriched.v1",
        MarketDataEnriched(
            user_id=record.user_id,
            position_id=record.id,
            mae=body.mae,
            mfe=body.mfe,
            currency=body.currency,
        ),
        traceparent,
    )


def _set_excursions(record: PositionRecord, excursions: PositionExcursions | None) -> None:
    record.mae = excursions.mae if excursions else None
    record.mfe = excursions.mfe if excursions else None
    record.mae_price = excursions.mae_price if excursions else None
    record.mfe_price = excursions.mfe_price if excursions else None
    record.excursion_interval = excursions.interval if excursions else None


def clean_tags(tags: Iterable[str], location: str) -> list[str]:
    """Tags stripped and without repeats (ignoring case), in order, first spelling kept.

    A 422 problem for a blank or over-long tag.
    """
    cleaned: list[str] = []
    for index, tag in enumerate(tags):
        name = tag.strip()
        if not name or len(name) > TAG_MAX_LENGTH:
            raise AppError(
                422,
                "Invalid request",
                errors=[
                    FieldError(f"{location}.{index}", f"needs 1 to {TAG_MAX_LENGTH} characters")
                ],
            )
        if name.lower() not in {seen.lower() for seen in cleaned}:
            cleaned.append(name)
    return cleaned


def stop_history(session: Session, position_id: uuid.UUID) -> list[Decimal]:
    """Every stop set on the position, oldest first."""
    return list(
        session.scalars(
            select(PositionStopRecord.stop)
            .where(PositionStopRecord.position_id == position_id)
            .order_by(PositionStopRecord.created_at, PositionStopRecord.id)
        )
    )


def to_position(record: PositionRecord) -> Position:
    return Position.model_validate(position_fields(record))


def position_fields(record: PositionRecord) -> dict[str, object]:
    return {
        "id": record.id,
        "account_id": record.account_id,
        "instrument": Instrument.model_validate(record.instrument),
        "direction": record.direction,
        "status": record.status,
        "opened_at": record.opened_at,
        "closed_at": record.closed_at,
        "open_quantity": record.open_quantity,
        "max_quantity": record.max_quantity,
        "avg_entry_price": record.avg_entry_price,
        "avg_exit_price": record.avg_exit_price,
        "realised_pnl_gross": record.realised_pnl_gross,
        "fees": record.fees,
        "realised_pnl_net": record.realised_pnl_net,
        "realised_pnl_net_base": record.realised_pnl_net_base,
        "currency": record.currency,
        "holding_seconds": record.holding_seconds,
        "initial_stop": record.initial_stop,
        "r_multiple": r_multiple(record),
        "outcome": record.outcome,
        "execution_count": record.execution_count,
        "tags": list(record.tags),
        "mae": record.mae,
        "mfe": record.mfe,
        "mae_price": record.mae_price,
        "mfe_price": record.mfe_price,
    }


def r_multiple(record: PositionRecord) -> Decimal | None:
    """The position's R (see statistics.calculations); None while open or without a stop."""
    if record.status != "closed" or record.initial_stop is None:
        return None
    return calculations.r_multiple(
        record.realised_pnl_net,
        record.avg_entry_price,
        record.initial_stop,
        record.max_quantity,
        Decimal(str(record.instrument.get("multiplier", "1"))),
    )
